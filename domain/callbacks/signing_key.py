"""An organization's callback signing key: which key signs, never the key itself.

The secret lives behind `SigningSecrets` (encrypted at rest); the log records only that a
key was created or rotated and its id, so the audit trail shows when without leaking what.
Its id derives from the organization: one per organization.
"""

from __future__ import annotations

import base64
import secrets
from typing import Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import AuditedAggregate
from domain.core.context import Meta

_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.dev/callback-signing-keys")
SECRET_BYTES = 32  # Standard Webhooks secrets are 24-64 random bytes


class SigningSecrets(Protocol):
    """Where signing secrets are kept (encrypted): replaceable by the secrets backend."""

    def put(self, organization_id: UUID, key_id: UUID, secret: str) -> None: ...

    def get(self, organization_id: UUID, key_id: UUID) -> str | None: ...


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class CallbackSigningKey(AuditedAggregate):
    @staticmethod
    def create_id(organization_id: UUID) -> UUID:
        return uuid5(_NAMESPACE, str(organization_id))

    @event("Created")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - derived from the organization
        organization_id: UUID,
        key_id: UUID,
        meta: Meta,
    ) -> None:
        self.organization_id = organization_id
        self.key_id = key_id

    @event("Rotated")
    def rotate(self, key_id: UUID, meta: Meta) -> None:
        self.key_id = key_id
