"""The read-model contract and the names every part of the read side agrees on.

A projection owns one Postgres schema (`rm_<name>`); its tables and its tracking row live
there, so a rebuild can build a whole new schema beside it and swap the two by renaming.
The tracking row names the schema's generation, so dead letters recorded into a rebuild's
schema are told apart from the live model's.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from typing import Protocol

import psycopg
from psycopg import sql

from projections.engine.log import LogBatch

META_SCHEMA = "projection_meta"
PROGRESS_CHANNEL = "signalyard_projection_progress"
TRACKING_TABLE = "_tracking"


class Projection(Protocol):
    """A read model. One may set `orders_by_entity = False` when its rows never depend on
    an entity's earlier events (an append-only history): then events behind a quarantined
    one of the same entity are applied, not parked."""

    name: str

    def create_tables(self, cur: psycopg.Cursor, schema: str) -> None:
        """CREATE TABLE IF NOT EXISTS … in `schema` (never a hard-coded schema name)."""

    def apply(self, cur: psycopg.Cursor, schema: str, batch: LogBatch) -> None:
        """Apply a batch of the log (in log order) to the tables of `schema`, decoding only
        the events it uses; unknown events are ignored. Every batch, of one event or of
        thousands, leaves the tables as applying its events one by one would."""


class HandlesEachEvent(ABC):
    """For a simple read model: every event decoded and given to `handle`, in log order."""

    @abstractmethod
    def handle(self, cur: psycopg.Cursor, schema: str, event: object, position: int) -> None:
        """Apply one decoded event to the tables of `schema`."""

    def apply(self, cur: psycopg.Cursor, schema: str, batch: LogBatch) -> None:
        for notification in batch.notifications:
            self.handle(cur, schema, batch.decode(notification), notification.id)


def orders_by_entity(projection: Projection) -> bool:
    return getattr(projection, "orders_by_entity", True)


def live_schema(name: str) -> str:
    return "rm_" + name


def shadow_schema(name: str) -> str:
    return live_schema(name) + "__rebuild"


def retired_schema(name: str) -> str:
    return live_schema(name) + "__old"


def advisory_key(purpose: str, name: str) -> int:
    """A stable signed 64-bit advisory-lock key (Python's hash() is salted per process)."""
    digest = hashlib.blake2b(f"signalyard.{purpose}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def leader_key(name: str) -> int:
    """Held for a whole session by the one runner allowed to follow the log."""
    return advisory_key("projection.leader", name)


def batch_key(name: str) -> int:
    """Taken per transaction by every write to the live schema (batches, redrive, swap)."""
    return advisory_key("projection.batch", name)


def rebuild_key(name: str) -> int:
    """Held by a rebuild for its whole run: two rebuilds would share one shadow schema."""
    return advisory_key("projection.rebuild", name)


# Concurrent CREATE SCHEMA/TABLE IF NOT EXISTS can still collide in the catalog.
DDL_KEY = advisory_key("projection.ddl", "*")


OPEN_STATUSES = ("quarantined", "parked")  # dead letters still waiting for an operator


def ensure_meta(cur: psycopg.Cursor) -> None:
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_KEY,))
    meta = sql.Identifier(META_SCHEMA)
    cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(meta))
    cur.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.dead_letters ("
            " id bigserial PRIMARY KEY,"
            " projection text NOT NULL,"
            " position bigint NOT NULL,"
            " originator_id text,"
            " originator_version bigint,"
            " topic text,"
            " error text NOT NULL,"
            " attempts integer NOT NULL,"
            " status text NOT NULL DEFAULT 'quarantined',"
            " created_at timestamptz NOT NULL DEFAULT now(),"
            " resolved_at timestamptz)"
        ).format(meta)
    )
    if not _has_column(cur, META_SCHEMA, "dead_letters", "generation"):
        _add_generations_and_parking(cur, meta)
    cur.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.runner_state ("
            " projection text PRIMARY KEY,"
            " retrying_since timestamptz NOT NULL,"
            " error text NOT NULL,"
            " attempts integer NOT NULL)"
        ).format(meta)
    )


def _add_generations_and_parking(cur: psycopg.Cursor, meta: sql.Identifier) -> None:
    """A letter belongs to the schema generation that recorded it (rows from before this
    have none and count as the live model's); a parked one waits behind another."""
    cur.execute(
        sql.SQL(
            "ALTER TABLE {m}.dead_letters ADD COLUMN generation uuid,"
            " ADD COLUMN parked_behind bigint,"
            " DROP CONSTRAINT IF EXISTS dead_letters_status_check,"
            " ADD CONSTRAINT dead_letters_status_check CHECK (status IN"
            "  ('quarantined', 'parked', 'redriven', 'skipped', 'abandoned'));"
            "DROP INDEX IF EXISTS {m}.dead_letters_open;"
            # At most one open letter per event and generation: failing on it again updates it.
            "CREATE UNIQUE INDEX dead_letters_pending ON {m}.dead_letters"
            " (projection, generation, position) WHERE status IN ('quarantined', 'parked')"
        ).format(m=meta)
    )


def _has_column(cur: psycopg.Cursor, schema: str, table: str, column: str) -> bool:
    cur.execute(
        "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = %s",
        (f'"{schema}"."{table}"', column),
    )
    return cur.fetchone() is not None


def ensure_projection_schema(cur: psycopg.Cursor, projection: Projection, schema: str) -> None:
    """Schema, the projection's tables and a tracking row at 0; idempotent."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_KEY,))
    cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    tracking = sql.Identifier(schema, TRACKING_TABLE)
    cur.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            " only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),"
            " position bigint NOT NULL,"
            " updated_at timestamptz NOT NULL DEFAULT now(),"
            " generation uuid NOT NULL DEFAULT gen_random_uuid())"
        ).format(tracking)
    )
    if not _has_column(cur, schema, TRACKING_TABLE, "generation"):
        cur.execute(
            sql.SQL(
                "ALTER TABLE {} ADD COLUMN generation uuid NOT NULL DEFAULT gen_random_uuid()"
            ).format(tracking)
        )
    cur.execute(
        sql.SQL("INSERT INTO {} (position) VALUES (0) ON CONFLICT DO NOTHING").format(tracking)
    )
    projection.create_tables(cur, schema)


def read_tracking(cur: psycopg.Cursor, schema: str) -> int:
    cur.execute(sql.SQL("SELECT position FROM {}").format(sql.Identifier(schema, TRACKING_TABLE)))
    row = cur.fetchone()
    return int(row[0]) if row else 0


def read_generation(cur: psycopg.Cursor, schema: str) -> str | None:
    """The schema's generation: made with the schema, kept when a rebuild renames it."""
    cur.execute("SELECT to_regclass(%s)", (f'"{schema}"."{TRACKING_TABLE}"',))
    if cur.fetchone()[0] is None:
        return None
    cur.execute(
        sql.SQL("SELECT generation::text FROM {}").format(sql.Identifier(schema, TRACKING_TABLE))
    )
    row = cur.fetchone()
    return row[0] if row else None


def write_tracking(cur: psycopg.Cursor, schema: str, position: int) -> None:
    cur.execute(
        sql.SQL("UPDATE {} SET position = %s, updated_at = now()").format(
            sql.Identifier(schema, TRACKING_TABLE)
        ),
        (position,),
    )


def notify_progress(cur: psycopg.Cursor, name: str, position: int) -> None:
    """Inside the batch transaction, so listeners hear of it only once it is committed."""
    cur.execute("SELECT pg_notify(%s, %s)", (PROGRESS_CHANNEL, f"{name}:{position}"))
