"""EventRoute: which events of an organization signal which Temporal workflow, how.

Each change of the definition publishes a numbered version (as configs do), so what the
router did with an event can be traced to the exact version that decided it. A `system`
route is installed and owned by Signalyard: listed like any other, changed by nobody else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.catalog.versioned import VersionedAggregate, VersionRecord
from domain.core.context import Meta
from domain.core.publication import declare_publication
from domain.routing.definition import definition_hash
from domain.routing.spec import RouteSpec

CATEGORY = "event-route"  # routes have no categories; the versions' base wants one


class EventRoute(VersionedAggregate):
    KIND = "event route"
    UPDATABLE = frozenset({"name", "description", "slug"})

    @event("Created")
    def __init__(
        self,
        organization_id: UUID,
        name: str,
        slug: str,
        description: str,
        system: bool,
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, description, meta)
        self._init_versions(organization_id, CATEGORY)
        self.system = system

    @property
    def definition(self) -> dict[str, Any]:
        return self.current["content"]

    def publish(self, definition: dict[str, Any], meta: Meta) -> VersionRecord:
        self._version_published(
            version_number=self.latest_version + 1,
            content_hash=definition_hash(definition),
            content=definition,
            published_at=datetime.now(tz=UTC),
            meta=meta,
        )
        return self.current

    @event("VersionPublished")
    def _version_published(
        self,
        version_number: int,
        content_hash: str,
        content: dict[str, Any],
        published_at: datetime,
        meta: Meta,
    ) -> None:
        self._append_version(version_number, content_hash, content, published_at, meta)

    def spec(self) -> RouteSpec:
        return spec_of(
            self.id, self.current_version, self.organization_id, self.definition, self.system
        )


def spec_of(
    route_id: UUID | None,
    version: int,
    organization_id: UUID | None,
    definition: dict[str, Any],
    system: bool = False,
) -> RouteSpec:
    return RouteSpec(
        # Stored events may give ids back as text: a spec always carries UUIDs.
        route_id=UUID(str(route_id)) if route_id is not None else None,
        version=version,
        organization_id=UUID(str(organization_id)) if organization_id is not None else None,
        system=system,
        **definition,
    )


declare_publication(
    EventRoute.VersionPublished,  # type: ignore[attr-defined] # made by @event
    public={"content_hash"},
)
