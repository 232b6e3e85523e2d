"""Writing BaseCoreModel rows from events: shared by every entity read model.

Each row keeps `created_position` (the log position of its Created event): lists order by
it, so pagination is stable and survives a rebuild.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from psycopg import Cursor, sql
from psycopg.types.json import Jsonb

from domain.core.aggregate import CoreAggregate

BASE_COLUMNS_DDL = """
    guid uuid PRIMARY KEY,
    slug text NOT NULL,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    version bigint NOT NULL,
    created_position bigint NOT NULL,
    created_at timestamptz NOT NULL,
    created_by text,
    updated_at timestamptz NOT NULL,
    updated_by text,
    deleted_at timestamptz,
    deleted_by text
"""

BASE_FIELDS = (
    "guid",
    "slug",
    "name",
    "description",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "deleted_at",
    "deleted_by",
)


def _adapt(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, (dict, list)) else value


# Statements are composed once per shape: composing them per event cost more than running
# them (a rebuild replays every event).
@functools.lru_cache(maxsize=512)
def _insert_sql(schema: str, table: str, columns: tuple[str, ...]) -> bytes:
    return (
        sql.SQL("INSERT INTO {}.{} ({}) VALUES ({}) ON CONFLICT (guid) DO NOTHING")
        .format(
            sql.Identifier(schema),
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        )
        .as_bytes(None)
    )


@functools.lru_cache(maxsize=512)
def _update_sql(schema: str, table: str, columns: tuple[str, ...]) -> bytes:
    return (
        sql.SQL("UPDATE {}.{} SET {} WHERE guid = %s")
        .format(
            sql.Identifier(schema),
            sql.Identifier(table),
            sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in columns),
        )
        .as_bytes(None)
    )


@functools.lru_cache(maxsize=64)
def _schema_sql(template: str, schema: str) -> bytes:
    return sql.SQL(template).format(sql.Identifier(schema)).as_bytes(None)


@dataclass(frozen=True)
class EntityTable:
    table: str
    columns: tuple[str, ...]  # entity-specific columns, named as the event fields
    mutable_only: tuple[str, ...] = ()  # columns set by later events, not by Created

    def insert_created(self, cur: Cursor, schema: str, event: Any, position: int) -> None:
        actor = event.meta.get("actor")
        values = {
            "guid": event.originator_id,
            "slug": event.slug,
            "name": event.name,
            "description": getattr(event, "description", ""),  # memberships have none
            "version": event.originator_version,
            "created_position": position,
            "created_at": event.timestamp,
            "created_by": actor,
            "updated_at": event.timestamp,
            "updated_by": actor,
        }
        values.update({c: _adapt(getattr(event, c)) for c in self.columns})
        cur.execute(_insert_sql(schema, self.table, tuple(values)), list(values.values()))

    def apply_change(self, cur: Cursor, schema: str, event: Any, changes: dict[str, Any]) -> None:
        allowed = {
            "slug",
            "name",
            "description",
            "deleted_at",
            "deleted_by",
            *self.columns,
            *self.mutable_only,
        }
        values = {k: _adapt(v) for k, v in changes.items() if k in allowed}
        values.update(
            version=event.originator_version,
            updated_at=event.timestamp,
            updated_by=event.meta.get("actor"),
        )
        cur.execute(
            _update_sql(schema, self.table, tuple(values)), [*values.values(), event.originator_id]
        )


def lifecycle_changes(event: Any) -> dict[str, Any] | None:
    """The row changes of the base events every CoreAggregate has, or None."""
    if isinstance(event, CoreAggregate.Updated):
        return dict(event.changes)
    if isinstance(event, CoreAggregate.Deleted):
        return {"deleted_at": event.deleted_at, "deleted_by": event.meta.get("actor")}
    if isinstance(event, CoreAggregate.Undeleted):
        return {"deleted_at": None, "deleted_by": None}
    return None


# The base events (Updated, Deleted...) name only the entity id: each read model keeps an
# `entity_tables` index from id to the table that holds the row.
ENTITY_TABLES_DDL = (
    "CREATE TABLE IF NOT EXISTS {s}.entity_tables (guid uuid PRIMARY KEY, tbl text NOT NULL)"
)


def remember_table(cur: Cursor, schema: str, guid: Any, table: str) -> None:
    cur.execute(
        _schema_sql("INSERT INTO {}.entity_tables VALUES (%s, %s) ON CONFLICT DO NOTHING", schema),
        (guid, table),
    )


def table_of(
    cur: Cursor, schema: str, guid: Any, tables: dict[str, EntityTable]
) -> EntityTable | None:
    cur.execute(_schema_sql("SELECT tbl FROM {}.entity_tables WHERE guid = %s", schema), (guid,))
    row = cur.fetchone()
    if row is None:
        return None
    return tables[row["tbl"] if isinstance(row, dict) else row[0]]
