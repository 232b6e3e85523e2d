"""InfraProjection: agent definitions with their versions, and runtime targets."""

from __future__ import annotations

from psycopg import Cursor

from domain.catalog.versioned import VersionedAggregate
from domain.infra.agent_definition import AgentDefinition
from domain.infra.runtime_target import RuntimeTarget
from projections.engine.dispatch import BY_ORIGINATOR, Creates, EventDispatch, events_to_apply
from projections.engine.entity_rows import LIFECYCLE_EVENTS, EntityTablesIndex, lifecycle_changes
from projections.engine.log import LogBatch
from projections.engine.row_writes import RowWrites
from projections.engine.versions import VersionRows
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
VERSIONS = VersionRows(
    "agent_definition_versions", "agent_definition_id", content="spec", on_row="spec"
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
                VERSIONS.insert(cur, schema, event, each.position)
                rows.change(tables.AGENT_DEFINITIONS, event, VERSIONS.published(event))
            else:
                assert each.table is not None
                changes = lifecycle_changes(event)
                if changes is None:
                    changes = VERSIONS.rolled_back(cur, schema, event)
                rows.change(each.table, event, changes)
        rows.flush(cur)
