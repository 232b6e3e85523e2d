"""What issuing and revoking bus credentials needs from the bus (NATS in operator mode);
the composition root passes an implementation in, or none when the deployment has no keys."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True)
class IssuedBusUser:
    public_key: str
    subject_scope: str  # e.g. signalyard.<org>.>
    consumer: str  # the durable pull consumer made for this user
    creds: str  # the `.creds` file (JWT and seed): shown once, never stored


class BusAuthority(Protocol):
    def issue(
        self, org_id: UUID, credential_id: UUID, name: str, expires_at: datetime
    ) -> IssuedBusUser:
        """Create the user's consumer and sign its JWT (idempotent per credential id)."""
        ...

    def revoke(self, revoked: Iterable[str], consumer: str) -> None:
        """Make the bus refuse every key of `revoked` (all of them, every time: the bus
        keeps the last list it got) and delete `consumer`."""
        ...
