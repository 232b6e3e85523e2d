"""WorkflowTemplatesProjection: templates with their drafts, and their versions."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor

from domain.catalog.versioned import VersionedAggregate
from domain.workflows.template import WorkflowTemplate
from projections.engine.dispatch import BY_ORIGINATOR, Creates, EventDispatch, events_to_apply
from projections.engine.entity_rows import LIFECYCLE_EVENTS, lifecycle_changes
from projections.engine.log import LogBatch
from projections.engine.row_writes import RowWrites
from projections.workflows import template_tables as tables

VERSION = "template version"
DRAFT = "template draft"


def _target(cls: type) -> object:
    if cls is WorkflowTemplate.Created:
        return Creates(tables.TEMPLATES)
    if issubclass(cls, WorkflowTemplate.VersionPublished):  # type: ignore[attr-defined]
        return VERSION
    if issubclass(cls, WorkflowTemplate.DraftSaved):  # type: ignore[attr-defined]
        return DRAFT
    if issubclass(cls, (*LIFECYCLE_EVENTS, VersionedAggregate.RolledBack)):
        return BY_ORIGINATOR
    return None


_DISPATCH = EventDispatch(_target)


class WorkflowTemplatesProjection:
    name = "workflow_templates"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        tables.create_tables(cur, schema)

    def apply(self, cur: Cursor, schema: str, batch: LogBatch) -> None:
        rows = RowWrites(schema, tables.INDEX)
        for each in events_to_apply(cur, schema, batch, _DISPATCH, tables.INDEX):
            event, position = each.event, each.position
            if isinstance(each.target, Creates):
                rows.create(tables.TEMPLATES, event, position)
                continue
            changes: dict[str, Any]
            if each.target is VERSION:
                tables.VERSIONS.insert(cur, schema, event, position)
                changes = tables.VERSIONS.published(event)
            elif each.target is DRAFT:
                changes = {"draft": event.draft}
            else:
                found = lifecycle_changes(event)
                changes = (
                    found if found is not None else tables.VERSIONS.rolled_back(cur, schema, event)
                )
            rows.change(tables.TEMPLATES, event, changes)
        rows.flush(cur)
