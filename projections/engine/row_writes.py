"""A batch's writes to entity rows, folded in memory and written per table, not per event.

A Created makes a pending row; later changes to it in the same batch merge into that row,
and changes to rows that already exist merge into one pending UPDATE per row (each column
keeps the value of the last event that set it). A batch reads entity rows only before it
writes any (to find which ids are the model's), so writing the folded rows at the end
leaves the tables as applying the events one by one, in log order, would.

Rows travel as one JSON array per statement, read back into the table's own row type by
json_populate_recordset: the column types come from the table, not from this code.

An UPDATE applies only to a row older than the version it carries, so an event applied
again (a re-drive, an overlapping batch) never moves a row backwards.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from psycopg import Cursor, sql

from projections.engine.entity_rows import EntityIndex, EntityTable


class RowWrites:
    def __init__(self, schema: str, index: EntityIndex) -> None:
        self.schema = schema
        self.index = index
        self._new: dict[Any, tuple[EntityTable, dict[str, Any]]] = {}
        self._changed: dict[Any, tuple[EntityTable, dict[str, Any]]] = {}

    def create(self, table: EntityTable, event: Any, position: int) -> None:
        # A Created names a new aggregate: its row cannot exist yet (ON CONFLICT keeps a
        # first one all the same, as the row-at-a-time insert did).
        self._new.setdefault(event.originator_id, (table, table.created_values(event, position)))

    def change(self, table: EntityTable, event: Any, changes: dict[str, Any]) -> None:
        guid = event.originator_id
        pending = self._new.get(guid) or self._changed.get(guid)
        if pending is None:
            pending = self._changed[guid] = (table, {"guid": guid})
        pending[1].update(table.changed_values(event, changes))

    def flush(self, cur: Cursor) -> None:
        """One statement per table and set of columns; the batch's writes are then done."""
        for (table, columns), rows in _by_shape(self._new.values()).items():
            cur.execute(_insert_sql(self.schema, table, columns), (_json_rows(rows),))
        for (table, columns), rows in _by_shape(self._changed.values()).items():
            cur.execute(_update_sql(self.schema, table, columns), (_json_rows(rows),))
        self.index.remember(cur, self.schema, ((g, t) for g, (t, _) in self._new.items()))
        self._new.clear()
        self._changed.clear()


Shape = tuple[str, tuple[str, ...]]  # a table and the columns a statement writes


def _by_shape(pending: Iterable[tuple[EntityTable, dict[str, Any]]]) -> dict[Shape, list[dict]]:
    shapes: dict[Shape, list[dict]] = defaultdict(list)
    for table, values in pending:
        shapes[table.table, tuple(sorted(values))].append(values)
    return shapes


def _json_value(value: Any) -> str:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date):  # datetimes too; timestamptz reads the ISO offset
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


def _json_rows(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, default=_json_value, separators=(",", ":"))


# Statements are composed once per shape: composing them per batch is cheap, but a rebuild
# runs thousands of batches.
@functools.lru_cache(maxsize=512)
def _insert_sql(schema: str, table: str, columns: tuple[str, ...]) -> bytes:
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    return (
        sql.SQL(
            "INSERT INTO {t} ({c}) SELECT {c} FROM json_populate_recordset(NULL::{t}, %s::json)"
            " ON CONFLICT (guid) DO NOTHING"
        )
        .format(t=sql.Identifier(schema, table), c=names)
        .as_bytes(None)
    )


@functools.lru_cache(maxsize=512)
def _update_sql(schema: str, table: str, columns: tuple[str, ...]) -> bytes:
    assignments = sql.SQL(", ").join(
        sql.SQL("{c} = r.{c}").format(c=sql.Identifier(c)) for c in columns if c != "guid"
    )
    return (
        sql.SQL(
            "UPDATE {t} AS t SET {a} FROM json_populate_recordset(NULL::{t}, %s::json) AS r"
            " WHERE t.guid = r.guid AND t.version < r.version"
        )
        .format(t=sql.Identifier(schema, table), a=assignments)
        .as_bytes(None)
    )
