"""Skill: what agents are taught. Each version is an Agent Skills bundle kept in blob
storage; its events carry the content hash, the blob ref and the file manifest only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.catalog.versioned import VersionedAggregate, VersionRecord
from domain.core.context import Meta
from domain.core.publication import declare_publication


class Skill(VersionedAggregate):
    KIND = "skill"
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
    def storage_ref(self) -> str:
        return self.current["storage_ref"]

    def publish(
        self,
        content_hash: str,
        storage_ref: str,
        files: list[dict[str, Any]],
        front_matter: dict[str, str],
        meta: Meta,
    ) -> VersionRecord:
        self._version_published(
            version_number=self.latest_version + 1,
            content_hash=content_hash,
            storage_ref=storage_ref,
            files=files,
            front_matter=front_matter,
            published_at=datetime.now(tz=UTC),
            meta=meta,
        )
        return self.current

    @event("VersionPublished")
    def _version_published(
        self,
        version_number: int,
        content_hash: str,
        storage_ref: str,
        files: list[dict[str, Any]],
        front_matter: dict[str, str],
        published_at: datetime,
        meta: Meta,
    ) -> None:
        self.versions.append(
            {
                "version_number": version_number,
                "content_hash": content_hash,
                "storage_ref": storage_ref,
                "files": files,
                "front_matter": front_matter,
                "created_by": meta.get("actor"),
                "created_at": published_at,
            }
        )
        self.current_version = version_number


# The hash of the bundle identifies its content; it hides nothing.
declare_publication(
    Skill.VersionPublished,  # type: ignore[attr-defined] # made by @event
    public={"content_hash"},
)
