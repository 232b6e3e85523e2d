"""What skills and configs share: immutable numbered versions and a current pointer.

Publishing appends a version; a rollback moves the pointer back with an event of its
own, so the history shows what was current at any time and nothing is ever rewritten.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict
from uuid import UUID

from eventsourcing.domain import event

from domain.core.aggregate import CoreAggregate
from domain.core.context import Meta
from domain.core.errors import InvalidInput, NotFound


class VersionRecord(TypedDict, total=False):
    """One published version, as the aggregate keeps it: the keys every kind has, then a
    skill's (its bundle in blob storage) and a config's (its JSON document)."""

    version_number: int
    content_hash: str
    created_by: str | None
    created_at: datetime
    storage_ref: str
    files: list[dict[str, Any]]
    front_matter: dict[str, str]
    content: dict[str, Any]


class VersionedAggregate(CoreAggregate):
    KIND: ClassVar[str] = "entity"
    snapshot_interval = 50  # one event per version: long-lived definitions grow

    if TYPE_CHECKING:
        # What every kind's "Created" `__init__` takes (the use cases create any kind alike);
        # declared for the checker only, so that no event class is defined for it here.
        def __init__(
            self,
            organization_id: UUID,
            name: str,
            slug: str,
            description: str,
            category: str,
            meta: Meta,
        ) -> None: ...

    def _init_versions(self, organization_id: UUID, category: str) -> None:
        """A definition of an organization, in a category, with no version yet."""
        self.organization_id = organization_id
        self.category = category
        self.versions: list[VersionRecord] = []
        self.current_version = 0

    @property
    def latest_version(self) -> int:
        return len(self.versions)

    @property
    def current(self) -> VersionRecord:
        return self.versions[self.current_version - 1]

    @property
    def content_hash(self) -> str:
        return self.current["content_hash"]

    def version_record(self, number: int) -> VersionRecord:
        if not isinstance(number, int) or not 1 <= number <= len(self.versions):
            raise NotFound(f"{self.KIND} version {number} not found", field="version")
        return self.versions[number - 1]

    def version_with_hash(self, content_hash: str) -> VersionRecord | None:
        for record in self.versions:
            if record["content_hash"] == content_hash:
                return record
        return None

    def _append_version(
        self,
        version_number: int,
        content_hash: str,
        content: dict[str, Any],
        published_at: datetime,
        meta: Meta,
    ) -> None:
        """What a JSON-content kind's VersionPublished does (configs, agent definitions,
        routes, workflow templates); each kind keeps its own event class (its stored topic)."""
        self.versions.append(
            {
                "version_number": version_number,
                "content_hash": content_hash,
                "content": content,
                "created_by": meta.get("actor"),
                "created_at": published_at,
            }
        )
        self.current_version = version_number

    def roll_back(self, to_version: int, meta: Meta) -> None:
        self.version_record(to_version)
        if to_version == self.current_version:
            raise InvalidInput(f"version {to_version} is already current", field="version")
        self._rolled_back(to_version=to_version, from_version=self.current_version, meta=meta)

    @event("RolledBack")
    def _rolled_back(self, to_version: int, from_version: int, meta: Meta) -> None:
        self.current_version = to_version
