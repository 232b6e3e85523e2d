"""The application recorder with group commit.

Same table, same notification log and same reads as the library's Postgres recorder (the
two can write one table side by side); only the append differs:

- concurrent `insert_events` calls of this process are committed as one transaction
  (see `grouping`), so one WAL flush and one table-lock hand-over serve many commands;
- each caller is still its own unit of optimistic concurrency: the group's rows are
  inserted only for members none of whose (originator_id, originator_version) keys exist
  yet; a member with a taken key fails alone with IntegrityError, the others commit;
- appends are serialised once per group, before any id is drawn, as the stock recorder
  does per call: commit order equals notification-id order, so a follower reading
  `> position` never passes over an event that commits later; this also makes the
  existence check race-free (no other writer inserts meanwhile). The stock recorder's
  `LOCK TABLE ... IN EXCLUSIVE MODE` also conflicts with the SHARE UPDATE EXCLUSIVE lock
  that VACUUM and ANALYZE hold: every autovacuum of a large events table stalled all
  appends for up to `deadlock_timeout` (1 s) and was then cancelled, so it never
  finished. A group instead takes ROW EXCLUSIVE on the table (which keeps out a stock
  writer's EXCLUSIVE, not vacuum) and a transaction advisory lock keyed by the table's oid,
  which serialises this recorder's groups in every process;
- rows of failing members never reach the INSERT, so no sequence value is wasted on a
  conflict: notification ids stay contiguous (the stock path leaves a hole per conflict);
- lock, NOTIFY, check and insert run in one server-side function called as one statement
  in autocommit: one round trip and one implicit transaction per group, where the stock
  path needs two round trips and holds the table lock across the first;
- a caller may give a read set, the (originator_id, version) of every aggregate its
  command decided on (version 0: absent): the member also fails with IntegrityError if
  any of them has a later version by now, checked under the same lock. A member that read
  what an earlier member of its group writes waits for the next group, where the check
  sees that write. So nothing commits on authority that changed before its commit;
- a caller may give a fence (its idempotent request's scope, key and attempt) and a
  session: the outcome and the session's position are recorded in the same transaction
  (`append_sql`), and a lost answer is resolved from the database (`outcomes`).
"""

from __future__ import annotations

import hashlib
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
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier, Literal

from domain.core.errors import Superseded
from signalyard.eventstore.append_sql import (
    APPEND_FUNCTION,
    OUTCOMES_TABLE,
    SESSIONS_TABLE,
    outcome_tables,
)
from signalyard.eventstore.grouping import GroupCommitter, Member
from signalyard.eventstore.outcomes import (
    OutcomeUnknown,
    answer_was_lost,
    group_parameters,
    resolve_unknown,
)

logger = logging.getLogger(__name__)

DEFAULT_MAX_GROUP_EVENTS = 2000
# A second group starts only once this many appends wait, so the queue is not split into ones.
PIPELINE_AT = 4
# First key of the two-key advisory lock that serialises appends (second: the table's oid).
# The two-key form never collides with the one-key (bigint) locks the projections take.
APPEND_LOCK_SPACE = 0x5159
CONNECT_ATTEMPTS = 3


def _key(originator_id: Any, originator_version: int) -> tuple[str, int]:
    return str(originator_id), int(originator_version)


def append_function_name(events_table_name: str) -> str:
    name = f"{events_table_name}_group_append"
    if len(name) > PostgresApplicationRecorder.MAX_IDENTIFIER_LEN:
        digest = hashlib.blake2b(events_table_name.encode(), digest_size=6).hexdigest()
        name = f"group_append_{digest}"
    return name


class GroupCommitApplicationRecorder(PostgresApplicationRecorder):
    validates_read_sets = True

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        max_group_events: int = DEFAULT_MAX_GROUP_EVENTS,
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)
        table = Identifier(self.events_table_name)
        function = Identifier(append_function_name(self.events_table_name))
        id_type = SQL(self.datastore.originator_id_type)  # "uuid" or "text", validated
        outcomes = Identifier(self.datastore.schema, OUTCOMES_TABLE)
        sessions = Identifier(self.datastore.schema, SESSIONS_TABLE)
        self.sql_create_statements.extend(outcome_tables(self.datastore.schema))
        # Earlier signatures of the append function: a database created then would keep
        # them beside the new one as unused overloads.
        for arguments in (
            "{id_type}[], int8[], text[], bytea[], int4[], text",
            "{id_type}[], int8[], text[], bytea[], int4[], {id_type}[], int8[], int4[], text",
        ):
            self.sql_create_statements.append(
                SQL("DROP FUNCTION IF EXISTS {schema}.{function}(" + arguments + ")").format(
                    schema=schema, function=function, id_type=id_type
                )
            )
        self.sql_create_statements.append(
            SQL(APPEND_FUNCTION).format(
                schema=schema,
                function=function,
                table=table,
                id_type=id_type,
                outcomes=outcomes,
                sessions=sessions,
                channel=Identifier(self.channel_name),
                lock_space=Literal(APPEND_LOCK_SPACE),
                table_name=Literal(
                    Identifier(self.datastore.schema, self.events_table_name).as_string(None)
                ),
            )
        )
        self._group_insert = (
            SQL(
                "SELECT n_id, o_id, o_version, fenced FROM {schema}.{function}("
                "%b::{id_type}[], %b::int8[], %b::text[], %b::bytea[], %b::int4[],"
                " %b::{id_type}[], %b::int8[], %b::int4[], %b::text[], %b::int4[],"
                " %b::text[], %b::text[], %b::uuid[], %b::int4[], {timeout})"
            )
            .format(
                schema=schema,
                function=function,
                id_type=id_type,
                timeout=Literal(f"{int(self.datastore.lock_timeout)}s"),
            )
            .as_bytes(None)
        )  # rendered once, not on every append
        self.committer = GroupCommitter(
            self._commit_group, max_events=max_group_events, pipeline_at=PIPELINE_AT
        )

    # -- the append ---------------------------------------------------------------------
    def insert_events(
        self,
        stored_events: Sequence[StoredEvent],
        *,
        read_set: Sequence[tuple[Any, int]] = (),
        session: str | None = None,
        fence: tuple[str, str, str] | None = None,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        if kwargs.get("tracking") is not None:
            # Tracking belongs to process recorders; keep the library's semantics there.
            if read_set or fence:
                raise ValueError("a read set or a fence is checked by the group append only")
            return super().insert_events(stored_events, **kwargs)
        if not stored_events:
            return None
        return self.committer.submit(list(stored_events), list(read_set), session, fence)

    def _commit_group(self, group: list[Member]) -> list[Member]:
        """Resolve every member of the group except those returned (deferred)."""
        claimed: set[tuple[str, int]] = set()
        written: set[str] = set()
        batch: list[Member] = []
        deferred: list[Member] = []
        for member in group:
            keys = [_key(e.originator_id, e.originator_version) for e in member.events]
            unique = set(keys)
            reads = {str(read_id) for read_id, _ in member.read_set}
            if len(unique) != len(keys):
                member.fail(IntegrityError("duplicate (originator_id, originator_version)"))
            elif claimed.isdisjoint(unique) and written.isdisjoint(reads):
                claimed |= unique
                written.update(k for k, _ in unique)
                batch.append(member)
            else:
                # Two callers racing for the same aggregate version, or a caller that read
                # what an earlier member writes (its read set is checked against the table
                # before this group's rows are in): it goes to the next group and is
                # checked against what this one committed.
                deferred.append(member)
        if batch:
            self._insert_batch(batch)
        return deferred

    def _insert_batch(self, batch: list[Member]) -> None:
        """Every member is resolved here: whatever fails is judged for its own members."""
        try:
            rows = self._run_group_transaction(group_parameters(batch))
        except OutcomeUnknown as unknown:
            resolve_unknown(self, batch, unknown)
            return
        except (InterfaceError, OperationalError) as exc:
            # Nothing committed (no connection, or the server refused the statement: a
            # lock timeout...): the database itself failed, for every member alike.
            for member in batch:
                member.fail(exc)
            return
        except Exception as exc:  # noqa: BLE001 - a member's data the server refused
            if len(batch) == 1:
                batch[0].fail(exc)
                return
            # The statement failed as a whole, so nothing committed: halves go again in
            # order, so only the member at fault fails (and later ones see earlier ones).
            middle = len(batch) // 2
            self._insert_batch(batch[:middle])
            self._insert_batch(batch[middle:])
            return
        self._resolve_rows(batch, rows)

    def _resolve_rows(self, batch: list[Member], rows: list[tuple[Any, ...]]) -> None:
        positions = {_key(oid, version): nid for nid, oid, version, _ in rows if nid is not None}
        superseded = {index for nid, _, _, index in rows if nid is None}
        for index, member in enumerate(batch):
            found = [
                positions.get(_key(e.originator_id, e.originator_version)) for e in member.events
            ]
            if all(n is not None for n in found):
                member.succeed(found)  # type: ignore[arg-type]
            elif any(n is not None for n in found):  # cannot happen: filtered per member
                member.fail(IntegrityError("partially recorded member"))
            elif index in superseded:
                member.fail(
                    Superseded("a retry with the same Idempotency-Key took this request over")
                )
            else:
                member.fail(
                    IntegrityError(
                        "optimistic concurrency conflict: a version already exists,"
                        " or an aggregate read has changed since"
                    )
                )

    def _run_group_transaction(self, params: tuple[list[Any], ...]) -> list[tuple[Any, ...]]:
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            backend: int | None = None
            try:
                with self.datastore.get_connection() as conn:
                    if conn.closed or conn.broken:
                        raise psycopg.OperationalError("pooled connection is closed")
                    assert conn.autocommit  # one statement, one implicit transaction
                    with conn.cursor(row_factory=tuple_row) as cur:
                        backend = conn.info.backend_pid
                        cur.execute(self._group_insert, params, prepare=True)
                        return cur.fetchall()
            except (InterfaceError, OperationalError) as exc:
                if backend is not None and answer_was_lost(exc):
                    # The statement was on the wire and no answer came: it may have
                    # committed. Never "not done", never sent again blindly.
                    raise OutcomeUnknown(str(exc), backend_pid=backend) from exc
                # Retry only when nothing reached the server (no connection, or a dead
                # pooled one); a lock timeout means the database is saturated: report it.
                if backend is not None or attempt == CONNECT_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")
