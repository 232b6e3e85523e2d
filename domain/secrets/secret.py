"""Secret (the seed's): a named value of an org, a team or a workspace, kept by a backend.

Rotation appends a version; each version's event carries only what the backend returned
for it — ciphertext (local) or a reference (vault, aws) — never the value. `inherit=False`
keeps a secret to tasks of its own scope (lower scopes look further up instead).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import CoreAggregate
from domain.core.context import Meta
from domain.core.errors import InvalidInput, NotFound
from domain.core.publication import declare_publication
from domain.secrets.ports import StoredVersion

BACKENDS = ("local", "vault", "aws")
_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.dev/secrets")
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")


def validate_secret_name(name: object) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise InvalidInput(
            "name must start with a letter or '_' and hold at most 128 letters, digits,"
            " '_', '.' or '-'",
            field="name",
        )
    return name


def validate_backend(backend: object) -> str:
    if backend not in BACKENDS:
        raise InvalidInput(f"backend must be one of {', '.join(BACKENDS)}", field="backend")
    return str(backend)


def validate_inherit(inherit: object) -> bool:
    if not isinstance(inherit, bool):
        raise InvalidInput("inherit must be a boolean", field="inherit")
    return inherit


class Secret(CoreAggregate):
    snapshot_interval = 50
    UPDATABLE = frozenset({"description", "category", "inherit"})

    @staticmethod
    def create_id(
        organization_id: UUID, team_id: UUID | None, workspace_id: UUID | None, slug: str
    ) -> UUID:
        """Derived from scope and name (neither ever changes): the id is known before the
        value goes to its backend, which binds ciphertext to it."""
        return uuid5(_NAMESPACE, f"{organization_id}/{team_id}/{workspace_id}/{slug}")

    @event("Created")
    def __init__(
        self,
        organization_id: UUID,
        team_id: UUID | None,
        workspace_id: UUID | None,
        name: str,
        slug: str,
        description: str,
        category: str,
        backend: str,
        path_or_arn: str,
        inherit: bool,
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, description, meta)
        self.organization_id = organization_id
        self.team_id = team_id
        self.workspace_id = workspace_id
        self.category = category
        self.backend = backend
        self.path_or_arn = path_or_arn
        self.inherit = inherit
        self.versions: list[dict[str, Any]] = []

    @property
    def scope_id(self) -> UUID:
        """Where its name is unique: its workspace, its team or its org."""
        return self.workspace_id or self.team_id or self.organization_id

    @property
    def latest_version(self) -> int:
        return len(self.versions)

    @property
    def encrypted_value(self) -> str | None:
        """The seed's field: the latest version's ciphertext (local backend only)."""
        return self.versions[-1]["stored"].get("ciphertext") if self.versions else None

    def stored(self, version: int) -> StoredVersion:
        if not 1 <= version <= len(self.versions):
            raise NotFound(f"secret {self.name!r} has no version {version}", field="version")
        stored: StoredVersion = self.versions[version - 1]["stored"]
        return stored

    def add_version(self, stored: StoredVersion, meta: Meta) -> int:
        if self.is_deleted:
            raise InvalidInput("a deleted secret cannot be rotated")
        self._version_added(
            version_number=self.latest_version + 1,
            backend=self.backend,
            stored=dict(stored),
            created_at=datetime.now(tz=UTC),
            meta=meta,
        )
        return self.latest_version

    @event("VersionAdded")
    def _version_added(
        self,
        version_number: int,
        backend: str,
        stored: dict[str, str],
        created_at: datetime,
        meta: Meta,
    ) -> None:
        self.versions.append(
            {
                "version_number": version_number,
                "stored": stored,
                "created_at": created_at,
                "created_by": meta.get("actor"),
            }
        )


# A version's ciphertext or reference stays in the event store: the bus says that a version
# was added, not what it holds.
declare_publication(Secret.VersionAdded, withheld={"stored"})  # type: ignore[attr-defined]
