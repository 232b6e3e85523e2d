"""Applying the log to a projection's schema: a whole batch under one savepoint, and on
failure event by event, with retries and dead letters.

Shared by the live runner, the rebuild and the re-drive, so all three treat a poison event
the same way: roll back the batch, apply its events one at a time (a batch of one, through
the same code), try the failing one again, then quarantine it and move on; the events of
its entity that follow are parked behind it (see projections.engine.quarantine). A transient
database error is not poison: it is raised, for the caller to roll the whole batch back
and retry it (see projections.engine.transient).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

import psycopg
from eventsourcing.persistence import Notification
from psycopg.pq import TransactionStatus

from projections.engine.base import Projection, orders_by_entity, write_tracking
from projections.engine.log import EventLog, LogBatch, Undecodable
from projections.engine.quarantine import (
    Tracking,
    entity_of,
    park,
    read_tracking_and_blocked,
    record_dead_letter,
)
from projections.engine.transient import TransientDatabaseError, describe_error, is_transient

MAX_ERROR_CHARS = 8000


@dataclass(frozen=True)
class Failure:
    error: str
    retryable: bool  # a decode failure is not: the same bytes fail the same way


class SwallowedDatabaseError(Exception):
    """A handler caught a database error and carried on: the transaction is aborted."""


def apply_once(
    conn: psycopg.Connection,
    cur: psycopg.Cursor,
    projection: Projection,
    schema: str,
    batch: LogBatch,
) -> Failure | None:
    """Apply inside the caller's transaction, pipelined under one savepoint (a round trip
    per batch, not several per event); on any error roll back to it and say why."""
    try:
        # psycopg's own savepoint: rolling back to it also forgets the statements it
        # prepared in the failed pipeline (a ROLLBACK TO sent by hand does not, and the
        # next event then fails on a prepared statement that does not exist).
        with conn.transaction():
            with conn.pipeline():
                projection.apply(cur, schema, batch)
            if conn.info.transaction_status == TransactionStatus.INERROR:
                raise SwallowedDatabaseError("a database error was caught and ignored")
        return None
    except Undecodable as exc:
        return Failure(str(exc), retryable=False)
    except Exception as exc:
        if is_transient(exc, conn):
            raise TransientDatabaseError(describe_error(exc)) from exc
        return Failure(traceback.format_exc()[-MAX_ERROR_CHARS:], retryable=True)


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
        tracking = read_tracking_and_blocked(cur, schema, projection.name)
        batch = Batch(0, tracking.position)
        notifications = log.read(batch.position, batch_size)
        if not notifications:
            return batch
        blocked = tracking.blocked if orders_by_entity(projection) else {}
        ready = [n for n in notifications if entity_of(n) not in blocked]
        for notification in notifications:
            if (behind := blocked.get(entity_of(notification))) is not None:
                park(cur, projection.name, tracking.generation, notification, behind)
                batch.quarantined.append(notification.id)
        if ready and apply_once(conn, cur, projection, schema, LogBatch(ready, log)) is not None:
            _apply_one_by_one(conn, cur, projection, schema, log, ready, max_attempts, tracking)
            batch.quarantined += [n.id for n in ready if n.id in tracking.failed]
        # Every notification advances the position, handled or not, so a reader waiting
        # for any position is never stalled by events this model ignores.
        batch.count, batch.position = len(notifications), notifications[-1].id
        write_tracking(cur, schema, batch.position)
    return batch


def _apply_one_by_one(
    conn: psycopg.Connection,
    cur: psycopg.Cursor,
    projection: Projection,
    schema: str,
    log: EventLog,
    notifications: list[Notification],
    max_attempts: int,
    tracking: Tracking,
) -> None:
    """After a failed batch: each event on its own; a poison one is quarantined and, in a
    model ordered by entity, the rest of its entity's events are parked behind it."""
    name, ordered = projection.name, orders_by_entity(projection)
    blocked = tracking.blocked
    for notification in notifications:
        entity = entity_of(notification)
        if ordered and (behind := blocked.get(entity)) is not None:
            park(cur, name, tracking.generation, notification, behind)
            tracking.failed.add(notification.id)
            continue
        one = LogBatch([notification], log)
        attempts, error = try_apply(conn, cur, projection, schema, one, max_attempts)
        if error is None:
            continue
        tracking.failed.add(notification.id)
        letter = record_dead_letter(cur, name, tracking.generation, notification, error, attempts)
        if letter is not None and ordered:
            blocked[entity] = letter
