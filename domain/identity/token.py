"""API tokens: random, shown once, stored only as a hash, expirable, revocable.

The aggregate id is derived from the token's SHA-256, so authenticating a request is one
read by id from the event store: always consistent (a revocation applies to the very next
request), and no read model has to be caught up first.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import AuditedAggregate
from domain.core.context import Meta
from domain.core.errors import InvalidInput

TOKEN_PREFIX = "syd_"
_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.dev/api-tokens")


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_id_for(secret: str) -> UUID:
    return uuid5(_NAMESPACE, token_digest(secret))


class ApiToken(AuditedAggregate):
    """Create with `ApiToken(id=token_id_for(secret), ...)`: the secret never enters an event."""

    @event("Issued")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - the library takes the aggregate id from this argument
        user_id: UUID,
        name: str,
        expires_at: datetime | None,
        meta: Meta,
    ) -> None:
        self.user_id = user_id
        self.name = name
        self.expires_at = expires_at
        self.revoked_at: datetime | None = None
        self.created_by = meta.get("actor")

    def is_valid(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(tz=UTC)
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now

    def revoke(self, meta: Meta) -> None:
        if self.revoked_at is not None:
            raise InvalidInput("token already revoked")
        self._revoked(revoked_at=datetime.now(tz=UTC), meta=meta)

    @event("Revoked")
    def _revoked(self, revoked_at: datetime, meta: Meta) -> None:
        self.revoked_at = revoked_at
