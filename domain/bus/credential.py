"""Bus credentials: an org's NATS user, limited to reading its own org's events from the
durable consumer made for it. Events hold the user's public key only: the seed and the JWT
are shown once, in the answer to the request that issued them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import AuditedAggregate
from domain.core.context import Meta
from domain.core.errors import Conflict


class BusCredential(AuditedAggregate):
    @event("Issued")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - chosen first: the consumer's name carries it
        organization_id: UUID,
        name: str,
        public_key: str,
        subject_scope: str,
        consumer: str,
        expires_at: datetime,
        meta: Meta,
    ) -> None:
        self.organization_id = organization_id
        self.name = name
        self.public_key = public_key
        self.subject_scope = subject_scope
        self.consumer = consumer
        self.expires_at = expires_at
        self.revoked_at: datetime | None = None
        self.created_by = meta.get("actor")

    def check_revocable(self) -> None:
        if self.revoked_at is not None:
            raise Conflict("bus credential already revoked")

    def revoke(self, meta: Meta) -> None:
        self.check_revocable()
        self._revoked(revoked_at=datetime.now(tz=UTC), meta=meta)

    @event("Revoked")
    def _revoked(self, revoked_at: datetime, meta: Meta) -> None:
        self.revoked_at = revoked_at


REVOCATIONS_ID = uuid5(NAMESPACE_URL, "https://signalyard.dev/bus-revocations")


class BusRevocations(AuditedAggregate):
    """Every revoked bus user not yet expired, in one aggregate: the account JWT the bus
    gets always lists them all, and concurrent revocations meet on its version."""

    snapshot_interval: ClassVar[int | None] = 100

    @event("Started")
    def __init__(self, id: UUID, meta: Meta) -> None:  # noqa: A002 - a fixed id
        self.users: dict[str, datetime] = {}  # public key -> the credential's expiry

    @event("Added")
    def add(self, public_key: str, expires_at: datetime, meta: Meta) -> None:
        now = datetime.now(tz=UTC)
        self.users = {k: t for k, t in self.users.items() if t > now}
        self.users[public_key] = expires_at
