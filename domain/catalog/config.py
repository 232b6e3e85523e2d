"""Config: what agents are set up with. A version is a small JSON document, kept in its
event (it is configuration, not a secret), identified by the hash of its canonical JSON."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.catalog.versioned import VersionedAggregate, VersionRecord
from domain.core.context import Meta
from domain.core.errors import InvalidInput
from domain.core.publication import declare_publication

MAX_CONTENT_BYTES = 256 * 1024


def canonical_json(content: Any) -> bytes:
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def validate_content(content: object) -> dict[str, Any]:
    if not isinstance(content, dict):
        raise InvalidInput("content must be a JSON object", field="content")
    try:
        size = len(canonical_json(content))
    except (TypeError, ValueError):
        raise InvalidInput("content must be plain JSON", field="content") from None
    if size > MAX_CONTENT_BYTES:
        raise InvalidInput(f"content must be at most {MAX_CONTENT_BYTES} bytes", field="content")
    return content


def content_hash_of(content: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(content)).hexdigest()


class Config(VersionedAggregate):
    KIND = "config"
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
    def content(self) -> dict[str, Any]:
        return self.current["content"]

    def publish(self, content: dict[str, Any], meta: Meta) -> VersionRecord:
        self._version_published(
            version_number=self.latest_version + 1,
            content_hash=content_hash_of(content),
            content=content,
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


# The hash of the published content identifies it (it is configuration, not a secret).
declare_publication(
    Config.VersionPublished,  # type: ignore[attr-defined] # made by @event
    public={"content_hash"},
)
