"""InfraProjection: agent definitions with their versions, and runtime targets."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor, sql
from psycopg.types.json import Jsonb

from domain.catalog.versioned import VersionedAggregate
from domain.infra.agent_definition import AgentDefinition
from domain.infra.runtime_target import RuntimeTarget
from projections.engine.dispatch import BY_ORIGINATOR, Creates, EventDispatch, events_to_apply
from projections.engine.entity_rows import LIFECYCLE_EVENTS, EntityTablesIndex, lifecycle_changes
from projections.engine.log import LogBatch
from projections.engine.row_writes import RowWrites
from projections.infra import tables

_CREATED = {
    AgentDefinition.Created: Creates(tables.AGENT_DEFINITIONS),
    RuntimeTarget.Created: Creates(tables.RUNTIME_TARGETS),
}
_INDEX = EntityTablesIndex(c.table for c in _CREATED.values())
VERSION = "agent definition version"


def _target(cls: type) -> object:
    if cls in _CREATED:
        return _CREATED[cls]
    if issubclass(cls, AgentDefinition.VersionPublished):
        return VERSION
    if issubclass(cls, (*LIFECYCLE_EVENTS, VersionedAggregate.RolledBack)):
        return BY_ORIGINATOR  # only this model's entities (the index knows them)
    return None


_DISPATCH = EventDispatch(_target)
_INSERT_VERSION = sql.SQL(
    "INSERT INTO {}.agent_definition_versions (agent_definition_id, organization_id,"
    " version_number, content_hash, created_at, created_by, created_position, spec)"
    " VALUES (%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING"
)


class InfraProjection:
    name = "infra"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        tables.create_tables(cur, schema)

    def apply(self, cur: Cursor, schema: str, batch: LogBatch) -> None:
        rows = RowWrites(schema, _INDEX)
        for each in events_to_apply(cur, schema, batch, _DISPATCH, _INDEX):
            event = each.event
            if isinstance(each.target, Creates):
                rows.create(each.table, event, each.position)
            elif each.target is VERSION:
                self._version(cur, schema, event, each.position)
                rows.change(tables.AGENT_DEFINITIONS, event, _current(event))
            else:
                assert each.table is not None
                changes = lifecycle_changes(event)
                if changes is None:
                    changes = self._rolled_back(cur, schema, event)
                rows.change(each.table, event, changes)
        rows.flush(cur)

    def _version(self, cur: Cursor, schema: str, event: Any, position: int) -> None:
        cur.execute(
            _INSERT_VERSION.format(sql.Identifier(schema)),
            (
                event.originator_id,
                event.meta.get("tenant_id"),
                event.version_number,
                event.content_hash,
                event.published_at,
                event.meta.get("actor"),
                position,
                Jsonb(event.content),
            ),
        )

    def _rolled_back(self, cur: Cursor, schema: str, event: Any) -> dict[str, Any]:
        """The version row may be from earlier in this batch: its insert is not folded."""
        cur.execute(
            sql.SQL(
                "SELECT content_hash, spec FROM {}.agent_definition_versions"
                " WHERE agent_definition_id = %s AND version_number = %s"
            ).format(sql.Identifier(schema)),
            (event.originator_id, event.to_version),
        )
        row = cur.fetchone()
        changes: dict[str, Any] = {"current_version": event.to_version}
        if row is not None:
            changes.update(content_hash=row[0], spec=row[1])
        return changes


def _current(event: Any) -> dict[str, Any]:
    return {
        "current_version": event.version_number,
        "latest_version": event.version_number,
        "content_hash": event.content_hash,
        "spec": event.content,
    }
