"""CatalogProjection: skills and configs with their versions, config categories, tools."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor, sql
from psycopg.types.json import Jsonb

from domain.catalog.config import Config
from domain.catalog.config_category import ConfigCategory
from domain.catalog.skill import Skill
from domain.catalog.tooldef import ToolDef
from domain.catalog.versioned import VersionedAggregate
from projections.catalog import tables
from projections.engine.dispatch import BY_ORIGINATOR, Creates, EventDispatch, events_to_apply
from projections.engine.entity_rows import (
    LIFECYCLE_EVENTS,
    EntityTable,
    EntityTablesIndex,
    lifecycle_changes,
)
from projections.engine.log import LogBatch
from projections.engine.row_writes import RowWrites

_CREATED = {
    Skill.Created: Creates(tables.SKILLS),
    Config.Created: Creates(tables.CONFIGS),
    ConfigCategory.Created: Creates(tables.CATEGORIES),
    ToolDef.Created: Creates(tables.TOOLS),
}
_INDEX = EntityTablesIndex(c.table for c in _CREATED.values())
SKILL_VERSION = "skill version"
CONFIG_VERSION = "config version"


def _target(cls: type) -> object:
    if cls in _CREATED:
        return _CREATED[cls]
    if issubclass(cls, Skill.VersionPublished):
        return SKILL_VERSION
    if issubclass(cls, Config.VersionPublished):
        return CONFIG_VERSION
    # Events defined on base classes (CoreAggregate.Updated, VersionedAggregate.RolledBack...)
    # name only the originator: which table holds it is remembered at creation.
    if issubclass(cls, (*LIFECYCLE_EVENTS, VersionedAggregate.RolledBack)):
        return BY_ORIGINATOR
    return None


_DISPATCH = EventDispatch(_target)


class CatalogProjection:
    name = "catalog"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        tables.create_tables(cur, schema)

    def apply(self, cur: Cursor, schema: str, batch: LogBatch) -> None:
        rows = RowWrites(schema, _INDEX)
        for each in events_to_apply(cur, schema, batch, _DISPATCH, _INDEX):
            event, position = each.event, each.position
            if isinstance(each.target, Creates):
                rows.create(each.table, event, position)
            elif each.target is SKILL_VERSION:
                self._skill_version(cur, schema, rows, event, position)
            elif each.target is CONFIG_VERSION:
                self._config_version(cur, schema, rows, event, position)
            else:
                assert each.table is not None
                changes = lifecycle_changes(event)
                if changes is None:
                    changes = self._rolled_back(cur, schema, each.table, event)
                rows.change(each.table, event, changes)
        rows.flush(cur)

    def _insert_version(self, cur: Cursor, schema: str, table: str, values: dict[str, Any]) -> None:
        cur.execute(
            sql.SQL("INSERT INTO {}.{} ({}) VALUES ({}) ON CONFLICT DO NOTHING").format(
                sql.Identifier(schema),
                sql.Identifier(table),
                sql.SQL(", ").join(map(sql.Identifier, values)),
                sql.SQL(", ").join(sql.Placeholder() * len(values)),
            ),
            list(values.values()),
        )

    def _version_values(self, event: Any, position: int) -> dict[str, Any]:
        return {
            "organization_id": event.meta.get("tenant_id"),
            "version_number": event.version_number,
            "content_hash": event.content_hash,
            "created_at": event.published_at,
            "created_by": event.meta.get("actor"),
            "created_position": position,
        }

    def _skill_version(
        self, cur: Cursor, schema: str, rows: RowWrites, event: Any, position: int
    ) -> None:
        values = {
            "skill_id": event.originator_id,
            **self._version_values(event, position),
            "storage_ref": event.storage_ref,
            "files": Jsonb(event.files),
            "front_matter": Jsonb(event.front_matter),
        }
        self._insert_version(cur, schema, "skill_versions", values)
        current = {
            "current_version": event.version_number,
            "latest_version": event.version_number,
            "content_hash": event.content_hash,
            "storage_ref": event.storage_ref,
            "front_matter": event.front_matter,
        }
        rows.change(tables.SKILLS, event, current)

    def _config_version(
        self, cur: Cursor, schema: str, rows: RowWrites, event: Any, position: int
    ) -> None:
        values = {
            "config_id": event.originator_id,
            **self._version_values(event, position),
            "content": Jsonb(event.content),
        }
        self._insert_version(cur, schema, "config_versions", values)
        current = {
            "current_version": event.version_number,
            "latest_version": event.version_number,
            "content_hash": event.content_hash,
            "content": event.content,
        }
        rows.change(tables.CONFIGS, event, current)

    def _rolled_back(
        self, cur: Cursor, schema: str, table: EntityTable, event: Any
    ) -> dict[str, Any]:
        """The current pointer moves back and the row carries that version's content; the
        version row may have been inserted earlier in this batch (its insert is not
        folded, so this read sees it)."""
        is_skill = table is tables.SKILLS
        versions, key = (
            ("skill_versions", "skill_id") if is_skill else ("config_versions", "config_id")
        )
        carried = (
            ("content_hash", "storage_ref", "front_matter")
            if is_skill
            else ("content_hash", "content")
        )
        cur.execute(
            sql.SQL("SELECT {} FROM {}.{} WHERE {} = %s AND version_number = %s").format(
                sql.SQL(", ").join(map(sql.Identifier, carried)),
                sql.Identifier(schema),
                sql.Identifier(versions),
                sql.Identifier(key),
            ),
            (event.originator_id, event.to_version),
        )
        row = cur.fetchone()
        changes: dict[str, Any] = {"current_version": event.to_version}
        if row is not None:
            changes.update(zip(carried, row, strict=True))
        return changes
