"""Rebuild a read model from position 0 while the API keeps reading the live one.

The new model is built in a shadow schema in ordinary committed batches (no lock on the
live model, so the live runner keeps going). Then one short transaction holding the batch
lock catches up the last events and swaps the schemas by renaming them: readers see the
old model until the commit and the complete new one after it, never anything in between.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from projections.engine.apply import apply_batch
from projections.engine.base import (
    META_SCHEMA,
    Projection,
    batch_key,
    ensure_meta,
    ensure_projection_schema,
    live_schema,
    notify_progress,
    read_generation,
    rebuild_key,
    retired_schema,
    shadow_schema,
)
from projections.engine.log import EventLog
from projections.engine.rebuild_letters import (
    abandon_dead_letters_of_aborted_rebuilds,
    adopt_dead_letters,
)
from projections.engine.runner import connect
from projections.engine.transient import backoff, is_transient

# Events per transaction while the shadow schema is built.
BATCH_SIZE = 2000
TRANSIENT_RETRIES = 8  # a batch's retries after transient errors, about 10 s in all

logger = logging.getLogger(__name__)


class RebuildInProgress(RuntimeError):
    pass


@dataclass
class Built:
    count: int = 0  # notifications read
    position: int = 0  # tracking position reached
    quarantined: list[int] = field(default_factory=list)


def start_fresh(conn: psycopg.Connection, projection: Projection, schema: str) -> None:
    """`schema` emptied and made again: tables and a tracking row at 0."""
    with conn.transaction(), conn.cursor() as cur:
        ensure_meta(cur)
        cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        ensure_projection_schema(cur, projection, schema)


def build_from_log(
    conn: psycopg.Connection,
    projection: Projection,
    schema: str,
    log: EventLog,
    *,
    batch_size: int = BATCH_SIZE,
    max_attempts: int = 3,
    until: int | None = None,
) -> Built:
    """Apply the log after the schema's position in committed batches, to its head (or
    until at least `until` notifications were read)."""
    built = Built()
    failures = 0
    while until is None or built.count < until:
        try:
            with conn.transaction():
                batch = apply_batch(conn, projection, schema, log, batch_size, max_attempts)
        except Exception as exc:
            # Without its session the rebuild has lost its lock: only a sound one retries.
            if conn.broken or not is_transient(exc) or failures >= TRANSIENT_RETRIES:
                raise
            failures += 1
            logger.warning("rebuild of %s: %s; retry %d", projection.name, exc, failures)
            time.sleep(backoff(failures))
            continue
        failures = 0
        built.count += batch.count
        built.position = batch.position
        built.quarantined += batch.quarantined
        if batch.count < batch_size:
            break
    return built


def rebuild(
    conninfo: str,
    projection: Projection,
    log: EventLog,
    *,
    batch_size: int = BATCH_SIZE,
    max_attempts: int = 3,
) -> int:
    """Returns the position of the new live model."""
    name = projection.name
    live, shadow, old = live_schema(name), shadow_schema(name), retired_schema(name)
    quarantined: list[int] = []
    with connect(conninfo, f"rebuild-{name}") as conn:
        locked = conn.execute("SELECT pg_try_advisory_lock(%s)", (rebuild_key(name),)).fetchone()
        if not (locked and locked[0]):
            raise RebuildInProgress(f"a rebuild of {name} is already running")
        # A leftover from an interrupted rebuild is not trusted: start from nothing.
        start_fresh(conn, projection, shadow)
        with conn.transaction(), conn.cursor() as cur:
            abandon_dead_letters_of_aborted_rebuilds(cur, name)
        built = build_from_log(
            conn, projection, shadow, log, batch_size=batch_size, max_attempts=max_attempts
        )
        quarantined += built.quarantined

        with conn.transaction(), conn.cursor() as cur:
            # Waits for the live runner's current batch, then keeps it out until the swap
            # is committed; its next batch resolves `rm_<name>` to the new schema.
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (batch_key(name),))
            while True:
                batch = apply_batch(conn, projection, shadow, log, batch_size, max_attempts)
                quarantined += batch.quarantined
                if batch.count < batch_size:
                    break
            new_generation = read_generation(cur, shadow)
            adopt_dead_letters(cur, name, read_generation(cur, live), new_generation)
            _resolve_dead_letters_applied_by_rebuild(
                cur, name, batch.position, quarantined, new_generation
            )
            cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(old)))
            cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (live,))
            if cur.fetchone():
                cur.execute(
                    sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                        sql.Identifier(live), sql.Identifier(old)
                    )
                )
            cur.execute(
                sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                    sql.Identifier(shadow), sql.Identifier(live)
                )
            )
            notify_progress(cur, name, batch.position)
        # Outside the swap: dropping waits for readers still on the old tables, and they
        # must not hold up the live runner meanwhile.
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(old)))
    return batch.position


def _resolve_dead_letters_applied_by_rebuild(
    cur, name: str, position: int, failed_again: list[int], new_generation: str | None
) -> None:
    """An event quarantined by the old model that the rebuild applied is in the new one
    (the letters it failed on again were adopted into the new generation)."""
    cur.execute(
        sql.SQL(
            "UPDATE {} SET status = 'redriven', resolved_at = now()"
            " WHERE projection = %s AND status IN ('quarantined', 'parked') AND position <= %s"
            " AND NOT (position = ANY(%s)) AND generation IS DISTINCT FROM %s"
        ).format(sql.Identifier(META_SCHEMA, "dead_letters")),
        (name, position, failed_again, new_generation),
    )
