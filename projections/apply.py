"""Applying the log to a projection's schema: a whole batch under one savepoint, and on
failure event by event, with retries and dead letters.

Shared by the live runner, the rebuild and the re-drive, so all three treat a poison event
the same way: roll back the batch, apply its events one at a time (a batch of one, through
the same code), try the failing one again, then quarantine it and move on.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

import psycopg
from eventsourcing.persistence import Notification
from psycopg import sql

from projections.base import META_SCHEMA, Projection, read_tracking, write_tracking
from projections.log import EventLog, LogBatch, Undecodable, describe

MAX_ERROR_CHARS = 8000


@dataclass(frozen=True)
class Failure:
    error: str
    retryable: bool  # a decode failure is not: the same bytes fail the same way


def apply_once(
    conn: psycopg.Connection,
    cur: psycopg.Cursor,
    projection: Projection,
    schema: str,
    batch: LogBatch,
) -> Failure | None:
    """Apply inside the caller's transaction, pipelined under one savepoint (a round trip
    per batch, not several per event); on any error roll back to it and say why."""
    # Savepoints by hand (not conn.transaction()): a handler that swallowed a database
    # error leaves the transaction aborted, and only ROLLBACK TO recovers from that.
    cur.execute("SAVEPOINT apply_batch")
    try:
        with conn.pipeline():
            projection.apply(cur, schema, batch)
        cur.execute("RELEASE SAVEPOINT apply_batch")
        return None
    except Undecodable as exc:
        failure = Failure(str(exc), retryable=False)
    except Exception:
        if conn.broken or conn.closed:
            raise
        failure = Failure(traceback.format_exc()[-MAX_ERROR_CHARS:], retryable=True)
    cur.execute("ROLLBACK TO SAVEPOINT apply_batch")
    cur.execute("RELEASE SAVEPOINT apply_batch")
    return failure


def try_apply(
    conn: psycopg.Connection,
    cur: psycopg.Cursor,
    projection: Projection,
    schema: str,
    batch: LogBatch,
    max_attempts: int,
) -> tuple[int, str | None]:
    """Apply inside the caller's transaction; return (attempts, last error or None)."""
    failure = None
    for attempt in range(1, max_attempts + 1):
        failure = apply_once(conn, cur, projection, schema, batch)
        if failure is None:
            return attempt, None
        if not failure.retryable:
            return attempt, failure.error
    assert failure is not None
    return max_attempts, failure.error


def record_dead_letter(
    cur: psycopg.Cursor, name: str, notification: Notification, error: str, attempts: int
) -> None:
    """Quarantine an event; a rebuild failing on it again updates the open row, and an
    event an operator chose to skip stays skipped."""
    originator_id, version, topic = describe(notification)
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
            "pos": notification.id,
            "oid": originator_id,
            "ver": version,
            "topic": topic,
            "error": error,
            "attempts": attempts,
        },
    )


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
        notifications = log.read(batch.position, batch_size)
        if not notifications:
            return batch
        if apply_once(conn, cur, projection, schema, LogBatch(notifications, log)) is not None:
            for notification in notifications:
                one = LogBatch([notification], log)
                attempts, error = try_apply(conn, cur, projection, schema, one, max_attempts)
                if error is not None:
                    record_dead_letter(cur, projection.name, notification, error, attempts)
                    batch.quarantined.append(notification.id)
        # Every notification advances the position, handled or not, so a reader waiting
        # for any position is never stalled by events this model ignores.
        batch.count, batch.position = len(notifications), notifications[-1].id
        write_tracking(cur, schema, batch.position)
    return batch
