"""BaseCoreModel rows from events: shared by every entity read model.

Each row keeps `created_position` (the log position of its Created event): lists order by
it, so pagination is stable and survives a rebuild.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from psycopg import Cursor, sql

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


def run_ddl(cur: Cursor, schema: str, statements: Iterable[str]) -> None:
    """Each statement with `{s}` standing for the (live or shadow) schema."""
    for statement in statements:
        cur.execute(
            sql.SQL(statement.replace("{s}", "{schema}")).format(schema=sql.Identifier(schema))
        )


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


@dataclass(frozen=True)
class EntityTable:
    table: str
    columns: tuple[str, ...]  # entity-specific columns, named as the event fields
    mutable_only: tuple[str, ...] = ()  # columns set by later events, not by Created

    def created_values(self, event: Any, position: int) -> dict[str, Any]:
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
        values.update({c: getattr(event, c) for c in self.columns})
        return values

    def changed_values(self, event: Any, changes: dict[str, Any]) -> dict[str, Any]:
        """The columns an event changes; every event sets the version and updated_*."""
        values = {k: v for k, v in changes.items() if k in self.changeable}
        values.update(
            version=event.originator_version,
            updated_at=event.timestamp,
            updated_by=event.meta.get("actor"),
        )
        return values

    @functools.cached_property
    def changeable(self) -> frozenset[str]:
        return frozenset(
            {"slug", "name", "description", "deleted_at", "deleted_by"}
            | set(self.columns)
            | set(self.mutable_only)
        )


LIFECYCLE_EVENTS = (CoreAggregate.Updated, CoreAggregate.Deleted, CoreAggregate.Undeleted)


def lifecycle_changes(event: Any) -> dict[str, Any] | None:
    """The row changes of the base events every CoreAggregate has, or None."""
    if isinstance(event, CoreAggregate.Updated):
        return dict(event.changes)
    if isinstance(event, CoreAggregate.Deleted):
        return {"deleted_at": event.deleted_at, "deleted_by": event.meta.get("actor")}
    if isinstance(event, CoreAggregate.Undeleted):
        return {"deleted_at": None, "deleted_by": None}
    return None


class EntityIndex(Protocol):
    """Which table holds each of a read model's entities: the base events (Updated,
    Deleted...) name only the entity id."""

    def tables_of(self, cur: Cursor, schema: str, ids: Collection[Any]) -> dict[Any, EntityTable]:
        """The ids among `ids` that are this model's entities, with their tables."""

    def remember(
        self, cur: Cursor, schema: str, created: Iterable[tuple[Any, EntityTable]]
    ) -> None:
        """Record the tables of entities created by a batch."""


@functools.lru_cache(maxsize=64)
def _schema_sql(template: str, schema: str) -> bytes:
    return sql.SQL(template).format(sql.Identifier(schema)).as_bytes(None)


# Read models with several entity tables keep an `entity_tables` index from id to table.
ENTITY_TABLES_DDL = (
    "CREATE TABLE IF NOT EXISTS {s}.entity_tables (guid uuid PRIMARY KEY, tbl text NOT NULL)"
)


class EntityTablesIndex:
    def __init__(self, tables: Iterable[EntityTable]) -> None:
        self._by_name = {t.table: t for t in tables}

    def tables_of(self, cur: Cursor, schema: str, ids: Collection[Any]) -> dict[Any, EntityTable]:
        cur.execute(
            _schema_sql("SELECT guid, tbl FROM {}.entity_tables WHERE guid = ANY(%s)", schema),
            (list(ids),),
        )
        return {guid: self._by_name[table] for guid, table in cur.fetchall()}

    def remember(
        self, cur: Cursor, schema: str, created: Iterable[tuple[Any, EntityTable]]
    ) -> None:
        ids, names = [], []
        for guid, table in created:
            ids.append(guid)
            names.append(table.table)
        if ids:
            cur.execute(
                _schema_sql(
                    "INSERT INTO {}.entity_tables (guid, tbl)"
                    " SELECT * FROM unnest(%s::uuid[], %s::text[]) ON CONFLICT DO NOTHING",
                    schema,
                ),
                (ids, names),
            )


class OneTableIndex:
    """A read model with a single entity table: its rows are the index."""

    def __init__(self, table: EntityTable) -> None:
        self._table = table

    def tables_of(self, cur: Cursor, schema: str, ids: Collection[Any]) -> dict[Any, EntityTable]:
        cur.execute(
            sql.SQL("SELECT guid FROM {} WHERE guid = ANY(%s)").format(
                sql.Identifier(schema, self._table.table)
            ),
            (list(ids),),
        )
        return {guid: self._table for (guid,) in cur.fetchall()}

    def remember(
        self, cur: Cursor, schema: str, created: Iterable[tuple[Any, EntityTable]]
    ) -> None:
        pass
