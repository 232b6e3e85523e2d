"""What skills and configs share: immutable numbered versions and a current pointer.

Publishing appends a version; a rollback moves the pointer back with an event of its
own, so the history shows what was current at any time and nothing is ever rewritten.
"""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.domain import event

from domain.core.aggregate import CoreAggregate
from domain.core.errors import InvalidInput, NotFound


class VersionedAggregate(CoreAggregate):
    KIND: ClassVar[str] = "entity"
    snapshot_interval = 50  # one event per version: long-lived definitions grow

    def _init_versions(self) -> None:
        self.versions: list[dict[str, Any]] = []
        self.current_version = 0

    @property
    def latest_version(self) -> int:
        return len(self.versions)

    @property
    def current(self) -> dict[str, Any]:
        return self.versions[self.current_version - 1]

    @property
    def content_hash(self) -> str:
        return self.current["content_hash"]

    def version_record(self, number: int) -> dict[str, Any]:
        if not isinstance(number, int) or not 1 <= number <= len(self.versions):
            raise NotFound(f"{self.KIND} version {number} not found", field="version")
        return self.versions[number - 1]

    def version_with_hash(self, content_hash: str) -> dict[str, Any] | None:
        for record in self.versions:
            if record["content_hash"] == content_hash:
                return record
        return None

    def roll_back(self, to_version: int, meta: dict) -> None:
        self.version_record(to_version)
        if to_version == self.current_version:
            raise InvalidInput(f"version {to_version} is already current", field="version")
        self._rolled_back(to_version=to_version, from_version=self.current_version, meta=meta)

    @event("RolledBack")
    def _rolled_back(self, to_version: int, from_version: int, meta: dict) -> None:
        self.current_version = to_version
