"""BaseCoreModel of the seed as an event-sourced aggregate.

Every event carries `meta` (actor, correlation id, causation id, tenant): the audit trail.
guid = aggregate id, version = aggregate version (optimistic lock), created_at/updated_at =
the library's created_on/modified_on; the *_by fields come from the events' meta.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, MutableOrImmutableAggregate, event

from domain.core.context import Meta
from domain.core.errors import InvalidInput, StaleVersion

# Every aggregate class that declares a `snapshot_interval`, filled as the classes are
# defined: the store snapshots by this, so a new context edits nothing shared.
SNAPSHOT_INTERVALS: dict[type[MutableOrImmutableAggregate[Any]], int] = {}


class AuditedAggregate(Aggregate):
    """Every event of every aggregate carries meta: actor, correlation, causation, tenant."""

    # Events between two snapshots of one aggregate of this class; None: no snapshots.
    snapshot_interval: ClassVar[int | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.snapshot_interval is not None:
            SNAPSHOT_INTERVALS[cls] = cls.snapshot_interval

    class Event(Aggregate.Event):
        meta: Meta

        def mutate(self, aggregate: Any) -> Any:
            aggregate = super().mutate(aggregate)
            aggregate.updated_by = self.meta.get("actor")
            return aggregate


class CoreAggregate(AuditedAggregate):
    # Fields an Updated event may change; each subclass lists its own.
    UPDATABLE: ClassVar[frozenset[str]] = frozenset({"name", "description"})

    def _init_core(self, name: str, slug: str, description: str, meta: Meta) -> None:
        self.name = name
        self.slug = slug
        self.description = description
        self.created_by = meta.get("actor")
        self.deleted_at: datetime | None = None
        self.deleted_by: str | None = None

    @property
    def guid(self) -> UUID:
        return self.id

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def check_version(self, expected: int | None) -> None:
        if expected is not None and expected != self.version:
            raise StaleVersion(
                f"expected version {expected}, current is {self.version}",
                current_version=self.version,
            )

    def changes_from(self, requested: dict[str, Any]) -> dict[str, Any]:
        unknown = set(requested) - self.UPDATABLE
        if unknown:
            field = sorted(unknown)[0]
            raise InvalidInput(f"field {field!r} cannot be changed", field=field)
        return {k: v for k, v in requested.items() if getattr(self, k, None) != v}

    @event("Updated")
    def update(self, changes: dict[str, Any], meta: Meta) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    def soft_delete(self, meta: Meta) -> None:
        if self.is_deleted:
            raise InvalidInput("already deleted")
        self._deleted(deleted_at=datetime.now(tz=UTC), meta=meta)

    def restore(self, meta: Meta) -> None:
        if not self.is_deleted:
            raise InvalidInput("not deleted")
        self._undeleted(meta=meta)

    @event("Deleted")
    def _deleted(self, deleted_at: datetime, meta: Meta) -> None:
        self.deleted_at = deleted_at
        self.deleted_by = meta.get("actor")

    @event("Undeleted")
    def _undeleted(self, meta: Meta) -> None:
        self.deleted_at = None
        self.deleted_by = None
