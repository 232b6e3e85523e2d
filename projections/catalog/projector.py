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
from domain.core.aggregate import CoreAggregate
from projections.base import HandlesEachEvent
from projections.catalog import tables
from projections.entity_rows import EntityTable, lifecycle_changes, remember_table, table_of

_CREATED: dict[type, EntityTable] = {
    Skill.Created: tables.SKILLS,
    Config.Created: tables.CONFIGS,
    ConfigCategory.Created: tables.CATEGORIES,
    ToolDef.Created: tables.TOOLS,
}
_BY_NAME = {t.table: t for t in _CREATED.values()}
# Events defined on base classes (CoreAggregate.Updated, VersionedAggregate.RolledBack...)
# name only the originator: which table holds it is remembered at creation.
_BY_ORIGINATOR = (
    CoreAggregate.Updated,
    CoreAggregate.Deleted,
    CoreAggregate.Undeleted,
    VersionedAggregate.RolledBack,
)


class CatalogProjection(HandlesEachEvent):
    name = "catalog"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        tables.create_tables(cur, schema)

    def handle(self, cur: Cursor, schema: str, event: Any, position: int) -> None:
        created = _CREATED.get(type(event))
        if created is not None:
            created.insert_created(cur, schema, event, position)
            remember_table(cur, schema, event.originator_id, created.table)
        elif isinstance(event, Skill.VersionPublished):
            self._skill_version(cur, schema, event, position)
        elif isinstance(event, Config.VersionPublished):
            self._config_version(cur, schema, event, position)
        elif isinstance(event, _BY_ORIGINATOR):
            table = table_of(cur, schema, event.originator_id, _BY_NAME)
            if table is None:
                return  # not a catalog entity
            changes = lifecycle_changes(event)
            if changes is not None:
                table.apply_change(cur, schema, event, changes)
            else:
                self._rolled_back(cur, schema, table, event)

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

    def _skill_version(self, cur: Cursor, schema: str, event: Any, position: int) -> None:
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
        tables.SKILLS.apply_change(cur, schema, event, current)

    def _config_version(self, cur: Cursor, schema: str, event: Any, position: int) -> None:
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
        tables.CONFIGS.apply_change(cur, schema, event, current)

    def _rolled_back(self, cur: Cursor, schema: str, table: EntityTable, event: Any) -> None:
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
            # A re-drive may hand us a dict-row cursor.
            values = row.values() if isinstance(row, dict) else row
            changes.update(zip(carried, values, strict=True))
        table.apply_change(cur, schema, event, changes)
