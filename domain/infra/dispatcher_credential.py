"""DispatcherCredential: what a dispatcher authenticates with. Minted by a platform admin for
one dispatcher name; random, shown once, stored only as its hash (the aggregate id derives
from it, so authenticating is one read by id, as for API tokens); revocable.

The dispatcher acts under it as itself (the actor of its claims and reports is its
DispatcherInstance's id), never as `system`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import AuditedAggregate
from domain.core.context import Meta
from domain.core.errors import Conflict

SECRET_PREFIX = "sydd_"
_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.dev/dispatcher-credentials")


def new_dispatcher_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def is_dispatcher_secret(secret: str) -> bool:
    return secret.startswith(SECRET_PREFIX)


def credential_id_for(secret: str) -> UUID:
    return uuid5(_NAMESPACE, hashlib.sha256(secret.encode()).hexdigest())


class DispatcherCredential(AuditedAggregate):
    """Create with `id=credential_id_for(secret)`: the secret never enters an event."""

    @event("Issued")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - derived from the secret's hash
        dispatcher_name: str,
        name: str,
        meta: Meta,
    ) -> None:
        self.dispatcher_name = dispatcher_name
        self.name = name
        self.revoked_at: datetime | None = None
        self.created_by = meta.get("actor")

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    def revoke(self, meta: Meta) -> None:
        if self.revoked_at is not None:
            raise Conflict("dispatcher credential already revoked")
        self._revoked(revoked_at=datetime.now(tz=UTC), meta=meta)

    @event("Revoked")
    def _revoked(self, revoked_at: datetime, meta: Meta) -> None:
        self.revoked_at = revoked_at
