"""AgentDefinition: how an agent runs (tier, runtime, image, resources, command), versioned
like the catalog: each change of spec is an immutable version, one of them current."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.catalog.config import content_hash_of
from domain.catalog.versioned import VersionedAggregate, VersionRecord
from domain.core.context import Meta
from domain.core.publication import declare_publication


class AgentDefinition(VersionedAggregate):
    KIND = "agent definition"
    UPDATABLE = frozenset({"name", "description", "slug", "category"})

    @event("Created")
    def __init__(
        self,
        organization_id: UUID,
        name: str,
        slug: str,
        description: str,
        category: str,
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, description, meta)
        self._init_versions(organization_id, category)

    @property
    def spec(self) -> dict[str, Any]:
        return self.current["content"]

    def publish(self, spec: dict[str, Any], meta: Meta) -> VersionRecord:
        self._version_published(
            version_number=self.latest_version + 1,
            content_hash=content_hash_of(spec),
            content=spec,
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


declare_publication(
    AgentDefinition.VersionPublished,  # type: ignore[attr-defined] # made by @event
    public={"content_hash"},
)
