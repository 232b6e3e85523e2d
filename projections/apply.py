"""Applying events to a projection's schema: one savepoint per event, retries, dead letters.

Shared by the live runner, the rebuild and the re-drive, so all three treat a poison event
the same way: roll back just that event, try again, then quarantine it and move on.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from projections.base import META_SCHEMA, Projection, read_tracking, write_tracking
from projections.log import EventLog, Undecodable, describe

MAX_ERROR_CHARS = 8000


def try_apply(
    conn: psycopg.Connection,
    cur: psycopg.Cursor,
    projection: Projection,
    schema: str,
    event: object,
    position: int,
    max_attempts: int,
) -> tuple[int, str | None]:
    """Apply inside the caller's transaction; return (attempts, last error or None)."""
    if isinstance(event, Undecodable):
        return 1, event.error
    error = None
    for attempt in range(1, max_attempts + 1):
        # Savepoints by hand (not conn.transaction()): a handler that swallowed a database
        # error leaves the transaction aborted, and only ROLLBACK TO recovers from that.
        cur.execute("SAVEPOINT apply_event")
        try:
            projection.handle(cur, schema, event, position)
            cur.execute("RELEASE SAVEPOINT apply_event")
            return attempt, None
        except Exception:
            if conn.broken or conn.closed:
                raise
            error = traceback.format_exc()[-MAX_ERROR_CHARS:]
            cur.execute("ROLLBACK TO SAVEPOINT apply_event")
            cur.execute("RELEASE SAVEPOINT apply_event")
    return max_attempts, error


def record_dead_letter(
    cur: psycopg.Cursor, name: str, position: int, event: object, error: str, attempts: int
) -> None:
    """Quarantine an event; a rebuild failing on it again updates the open row, and an
    event an operator chose to skip stays skipped."""
    originator_id, version, topic = describe(event)
    cur.execute(
        sql.SQL(
            "INSERT INTO {t} (projection, position, originator_id, originator_version,"
            " topic, error, attempts)"
            " SELECT %(name)s, %(pos)s, %(oid)s, %(ver)s, %(topic)s, %(error)s, %(attempts)s"
            " WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE projection = %(name)s"
            "  AND position = %(pos)s AND status = 'skipped')"
            " ON CONFLICT (projection, position) WHERE status = 'quarantined'"
            " DO UPDATE SET error = EXCLUDED.error,"
            "  attempts = {t}.attempts + EXCLUDED.attempts"
        ).format(t=sql.Identifier(META_SCHEMA, "dead_letters")),
        {
            "name": name,
            "pos": position,
            "oid": originator_id,
            "ver": version,
            "topic": topic,
            "error": error,
            "attempts": attempts,
        },
    )


def apply_all_at_once(
    conn: psycopg.Connection,
    cur: psycopg.Cursor,
    projection: Projection,
    schema: str,
    events: list[tuple[int, object]],
) -> bool:
    """The fast path: the whole batch pipelined under one savepoint (a round trip per
    batch, not several per event). On any error it is rolled back and the caller applies
    the events one by one, isolating the poison one."""
    if not events or any(isinstance(event, Undecodable) for _, event in events):
        return False
    cur.execute("SAVEPOINT apply_batch")
    try:
        with conn.pipeline():
            for position, event in events:
                projection.handle(cur, schema, event, position)
    except Exception:
        if conn.broken or conn.closed:
            raise
        cur.execute("ROLLBACK TO SAVEPOINT apply_batch")
        cur.execute("RELEASE SAVEPOINT apply_batch")
        return False
    cur.execute("RELEASE SAVEPOINT apply_batch")
    return True


@dataclass
class Batch:
    count: int  # notifications read (handled, ignored or quarantined)
    position: int  # tracking position after the batch
    quarantined: list[int] = field(default_factory=list)


def apply_batch(
    conn: psycopg.Connection,
    projection: Projection,
    schema: str,
    log: EventLog,
    batch_size: int,
    max_attempts: int,
) -> Batch:
    """Apply the next batch after the schema's tracking position and advance it, inside the
    caller's transaction."""
    with conn.cursor() as cur:
        batch = Batch(0, read_tracking(cur, schema))
        events = log.read(batch.position, batch_size)
        applied = apply_all_at_once(conn, cur, projection, schema, events)
        for event_position, event in [] if applied else events:
            attempts, error = try_apply(
                conn, cur, projection, schema, event, event_position, max_attempts
            )
            if error is not None:
                record_dead_letter(cur, projection.name, event_position, event, error, attempts)
                batch.quarantined.append(event_position)
        if events:
            # Every notification advances the position, handled or not, so a reader
            # waiting for any position is never stalled by events this model ignores.
            batch.count, batch.position = len(events), events[-1][0]
            write_tracking(cur, schema, batch.position)
    return batch
