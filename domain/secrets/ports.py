"""What the secrets context needs from the outside: a backend per storage kind.

The implementations live in `workers/adapters/secret_backends/`; the composition root
builds them and hands them to `SecretService`. A backend never logs or raises a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

# What a version's event keeps: ciphertext (local) or a reference (vault, aws). Never a value.
StoredVersion = Mapping[str, str]


@dataclass(frozen=True)
class SecretLocator:
    """Which version of which secret: also the associated data local ciphertext is bound to."""

    organization_id: UUID
    secret_id: UUID
    version: int
    path_or_arn: str


class SecretBackend(Protocol):
    def check_path(self, path_or_arn: str | None, has_value: bool) -> str:
        """The path or ARN to store (normalised), or InvalidInput naming the field."""

    def put(self, at: SecretLocator, value: bytes | None) -> StoredVersion:
        """Store a new version (or pin the outside system's current one when value is None)."""

    def get(self, at: SecretLocator, stored: StoredVersion) -> bytes:
        """The value of a stored version; SecretGone / BackendUnavailable when it can't."""


class OrgKeyring(Protocol):
    """The per-organization data keys of the local backend (crypto-shredding)."""

    def destroy(self, organization_id: UUID) -> bool:
        """Destroy the org's data key for good (True if there was one to destroy)."""
