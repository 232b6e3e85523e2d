"""The application recorder with group commit.

Same table, same notification log and same reads as the library's Postgres recorder (the
two can write one table side by side); only the append differs:

- concurrent `insert_events` calls of this process are committed as one transaction
  (see `grouping`), so one WAL flush and one table-lock hand-over serve many commands;
- each caller is still its own unit of optimistic concurrency: one statement inserts the
  rows of every member none of whose (originator_id, originator_version) keys exist yet,
  and a member with a taken key fails alone with IntegrityError while the others commit;
- the events table is locked IN EXCLUSIVE MODE once per group, before the ids are drawn,
  exactly as the stock recorder does per call: commit order equals notification-id order,
  so a follower reading `> position` never passes over an event that commits later. The
  lock also makes the existence check race-free (no other writer can insert meanwhile);
- rows of failing members never reach the INSERT, so no sequence value is wasted on a
  conflict: notification ids stay contiguous (the stock path leaves holes);
- BEGIN, lock, NOTIFY, insert and COMMIT go out as one pipeline: one round trip per group,
  where the stock path needs two and holds the table lock across the first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from signalyard.eventstore.grouping import GroupCommitter, Member

logger = logging.getLogger(__name__)

DEFAULT_MAX_GROUP_EVENTS = 2000
CONNECT_ATTEMPTS = 3


def _key(originator_id: Any, originator_version: int) -> tuple[str, int]:
    return str(originator_id), int(originator_version)


class GroupCommitApplicationRecorder(PostgresApplicationRecorder):
    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        max_group_events: int = DEFAULT_MAX_GROUP_EVENTS,
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        table = SQL("{}.{}").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name)
        )
        id_type = SQL(self.datastore.originator_id_type)  # "uuid" or "text", validated
        self._group_insert = SQL(
            "WITH batch AS ("
            " SELECT * FROM unnest(%s::{id_type}[], %s::int8[], %s::text[], %s::bytea[],"
            "  %s::int4[]) WITH ORDINALITY"
            "  AS b(originator_id, originator_version, topic, state, member, ord)),"
            " taken AS (SELECT DISTINCT batch.member FROM batch JOIN {table} t"
            "  ON t.originator_id = batch.originator_id"
            "  AND t.originator_version = batch.originator_version)"
            " INSERT INTO {table} (originator_id, originator_version, topic, state)"
            " SELECT originator_id, originator_version, topic, state FROM batch"
            " WHERE NOT EXISTS (SELECT 1 FROM taken WHERE taken.member = batch.member)"
            " ORDER BY ord"
            " RETURNING notification_id, originator_id, originator_version"
        ).format(id_type=id_type, table=table)
        self._begin = SQL("BEGIN")
        self._commit_sql = SQL("COMMIT")
        self._notify = SQL("NOTIFY {}").format(Identifier(self.channel_name))
        self.committer = GroupCommitter(self._commit_group, max_events=max_group_events)

    # -- the append ---------------------------------------------------------------------
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if kwargs.get("tracking") is not None:
            # Tracking belongs to process recorders; keep the library's semantics there.
            return super().insert_events(stored_events, **kwargs)
        if not stored_events:
            return None
        return self.committer.submit(list(stored_events))

    def _commit_group(self, group: list[Member]) -> list[Member]:
        """Resolve every member of the group except those returned (deferred)."""
        claimed: set[tuple[str, int]] = set()
        batch: list[Member] = []
        deferred: list[Member] = []
        for member in group:
            keys = [_key(e.originator_id, e.originator_version) for e in member.events]
            unique = set(keys)
            if len(unique) != len(keys):
                member.fail(IntegrityError("duplicate (originator_id, originator_version)"))
            elif claimed.isdisjoint(unique):
                claimed |= unique
                batch.append(member)
            else:
                # Two callers racing for the same aggregate version: the later one goes
                # to the next group and is checked against what the first one committed.
                deferred.append(member)
        if batch:
            self._insert_batch(batch)
        return deferred

    def _insert_batch(self, batch: list[Member]) -> None:
        ids, versions, topics, states, members = [], [], [], [], []
        for index, member in enumerate(batch):
            for event in member.events:
                ids.append(event.originator_id)
                versions.append(event.originator_version)
                topics.append(event.topic)
                states.append(event.state)
                members.append(index)
        params = (ids, versions, topics, states, members)
        try:
            rows = self._run_group_transaction(params)
        except IntegrityError:
            # Only a writer that bypasses the table lock can get here (e.g. the library's
            # POSTGRES_ENABLE_DB_FUNCTIONS path): fall back to one transaction per member.
            logger.warning("group insert hit a key conflict despite the lock; retrying singly")
            for member in batch:
                try:
                    member.succeed(list(super().insert_events(member.events) or []))
                except Exception as exc:  # noqa: BLE001 - belongs to this member only
                    member.fail(exc)
            return
        positions = {_key(oid, version): nid for nid, oid, version in rows}
        for member in batch:
            found = [
                positions.get(_key(e.originator_id, e.originator_version)) for e in member.events
            ]
            if all(n is not None for n in found):
                member.succeed(found)  # type: ignore[arg-type]
            elif any(n is not None for n in found):  # cannot happen: filtered per member
                member.fail(IntegrityError("partially recorded member"))
            else:
                member.fail(
                    IntegrityError("optimistic concurrency conflict: a version already exists")
                )

    def _run_group_transaction(self, params: tuple[list[Any], ...]) -> list[tuple[Any, ...]]:
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            progress = {"sent": False}
            try:
                with self.datastore.get_connection() as conn:
                    return self._pipeline(conn, params, progress)
            except (InterfaceError, OperationalError):
                # Retry only when nothing reached the server (no connection, or a dead
                # pooled one): once COMMIT is on the wire the outcome is unknown, and a
                # lock timeout means the database is saturated, so report it instead.
                if progress["sent"] or attempt == CONNECT_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def _pipeline(
        self, conn: psycopg.Connection[Any], params: tuple[list[Any], ...], progress: dict
    ) -> list[tuple[Any, ...]]:
        if conn.closed or conn.broken:
            raise psycopg.OperationalError("pooled connection is closed")
        progress["sent"] = True
        try:
            with conn.pipeline() as pipeline:
                with conn.cursor() as cur:
                    cur.execute(self._begin)
                    for statement in self.lock_table_statements:  # lock_timeout, LOCK TABLE
                        cur.execute(statement, prepare=True)
                    cur.execute(self._notify)
                insert = conn.cursor(row_factory=tuple_row)
                insert.execute(self._group_insert, params, prepare=True)
                conn.execute(self._commit_sql)
                pipeline.sync()  # one round trip: everything above, then all results
                return insert.fetchall()
        except BaseException:
            _rollback_quietly(conn)
            raise


def _rollback_quietly(conn: psycopg.Connection[Any]) -> None:
    if conn.broken or conn.closed:
        return
    if conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        try:
            conn.execute("ROLLBACK")
        except psycopg.Error:
            conn.close()
