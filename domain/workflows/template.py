"""WorkflowTemplate: the stages a workflow instance runs, in order. A draft is edited freely;
publishing validates it, resolves what it names, and appends an immutable numbered version
that instances pin (`version_record(n)["content"]`, the shape `template_content` makes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.catalog.config import content_hash_of
from domain.catalog.versioned import VersionedAggregate, VersionRecord
from domain.core.context import Meta
from domain.core.errors import InvalidInput
from domain.core.publication import declare_publication


def empty_draft() -> dict[str, Any]:
    return {"input_schema": None, "default_config": {}, "stages": []}


class WorkflowTemplate(VersionedAggregate):
    KIND = "workflow template"
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
        self.draft = empty_draft()

    @property
    def is_published(self) -> bool:
        return self.current_version > 0

    @property
    def content(self) -> dict[str, Any] | None:
        """The current version's content (what an instance started on `latest` runs)."""
        return self.current["content"] if self.is_published else None

    @property
    def default_config(self) -> dict[str, Any] | None:
        content = self.content
        return None if content is None else content["default_config"]

    def pinned(self, version: object = "latest") -> tuple[int, dict[str, Any]]:
        """The version an instance starts on (`latest`: the current one) and its content;
        an unpublished template or a missing version is a 422 on `template_version`."""
        if not self.is_published:
            raise InvalidInput(
                f"{self.KIND} {self.slug!r} has no published version", field="template"
            )
        number = self.current_version if version in (None, "latest") else version
        if (
            not isinstance(number, int)
            or isinstance(number, bool)
            or not 1 <= number <= self.latest_version
        ):
            raise InvalidInput(
                f"{self.KIND} {self.slug!r} has no version {version!r}", field="template_version"
            )
        return number, self.version_record(number)["content"]

    def save_draft(self, draft: dict[str, Any], meta: Meta) -> bool:
        """Replace the draft (shape checked by the caller); False when nothing changes."""
        if content_hash_of(draft) == content_hash_of(self.draft):
            return False
        self._draft_saved(draft=draft, meta=meta)
        return True

    @event("DraftSaved")
    def _draft_saved(self, draft: dict[str, Any], meta: Meta) -> None:
        self.draft = draft

    def publish(self, content: dict[str, Any], meta: Meta) -> VersionRecord:
        """`content` is the validated, resolved draft (see `template_content`)."""
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


declare_publication(
    WorkflowTemplate.VersionPublished,  # type: ignore[attr-defined] # made by @event
    public={"content_hash"},
)
