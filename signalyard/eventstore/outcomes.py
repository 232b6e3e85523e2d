"""When a group's answer is lost: find out from the database whether it committed.

A group statement that reached the server and then lost its connection may have committed
or not. The only truthful answers come from the database itself: the old backend is ended
(an unfinished transaction then rolls back, a finished one stays), and then the rows are
looked for by their keys and compared byte for byte with the members' own events (another
writer could have taken the same version meanwhile). Members whose rows are there succeed;
when none are there the group is sent again; when the database cannot be asked within the
budget, the members fail with the domain's OutcomeUnknown, never with "not done".
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from domain.core import errors

if TYPE_CHECKING:
    from signalyard.eventstore.grouping import Member
    from signalyard.eventstore.recorder import GroupCommitApplicationRecorder

logger = logging.getLogger(__name__)

# SQLSTATEs after which the server may have committed before the connection went away.
_LOST = ("57P01", "57P02", "57P03")
RESOLVE_SECONDS = 15.0
# The old backend, if it is still there and still ours (a pid may be reused after a restart).
_STILL_APPENDING = (
    "FROM pg_stat_activity WHERE pid = %s AND query LIKE 'SELECT n_id, o_id, o_version, fenced%%'"
)
RESEND_LIMIT = 2


class OutcomeUnknown(OperationalError):
    """The group statement was sent on this backend and its answer never came."""

    def __init__(self, message: str, *, backend_pid: int) -> None:
        super().__init__(message)
        self.backend_pid = backend_pid


def _sqlstate(exc: BaseException | None) -> str | None:
    while exc is not None:
        state = getattr(exc, "sqlstate", None)
        if state:
            return str(state)
        exc = exc.__cause__ or exc.__context__
    return None


def answer_was_lost(exc: BaseException) -> bool:
    """No error came from the server about the statement: the connection itself failed."""
    state = _sqlstate(exc)
    return state is None or state.startswith("08") or state in _LOST


def group_parameters(batch: list[Member]) -> tuple[list[Any], ...]:
    ids, versions, topics, states, members = [], [], [], [], []
    read_ids, read_versions, read_members = [], [], []
    sessions, session_members = [], []
    scopes, keys, attempts, fence_members = [], [], [], []
    for index, member in enumerate(batch):
        for event in member.events:
            ids.append(event.originator_id)
            versions.append(event.originator_version)
            topics.append(event.topic)
            states.append(event.state)
            members.append(index)
        for read_id, read_version in member.read_set:
            read_ids.append(read_id)
            read_versions.append(read_version)
            read_members.append(index)
        if member.session:
            sessions.append(member.session)
            session_members.append(index)
        if member.fence:
            scope, key, attempt = member.fence
            scopes.append(scope)
            keys.append(key)
            attempts.append(attempt)
            fence_members.append(index)
    return (
        ids,
        versions,
        topics,
        states,
        members,
        read_ids,
        read_versions,
        read_members,
        sessions,
        session_members,
        scopes,
        keys,
        attempts,
        fence_members,
    )


def resolve_unknown(
    recorder: GroupCommitApplicationRecorder,
    batch: list[Member],
    unknown: OutcomeUnknown,
    resends: int = 0,
) -> None:
    deadline = time.monotonic() + RESOLVE_SECONDS
    delay = 0.05
    while True:
        try:
            stored = _stored_rows(recorder, batch, unknown.backend_pid)
            break
        except (InterfaceError, OperationalError) as exc:
            if time.monotonic() + delay > deadline:
                logger.error("outcome of a group of %d unknown: %s", len(batch), exc)
                for member in batch:
                    keys = [(str(e.originator_id), e.originator_version) for e in member.events]
                    member.fail(errors.OutcomeUnknown(str(unknown), keys))
                return
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    if not stored and resends < RESEND_LIMIT:
        logger.warning("a group's answer was lost and it did not commit: sending it again")
        try:
            rows = recorder._run_group_transaction(group_parameters(batch))  # noqa: SLF001
        except OutcomeUnknown as again:
            resolve_unknown(recorder, batch, again, resends + 1)
            return
        except Exception:  # noqa: BLE001 - judged as any first attempt would be
            _judge_again(recorder, batch)
            return
        recorder._resolve_rows(batch, rows)  # noqa: SLF001
        return
    logger.warning("a group's answer was lost: %d of its rows are stored", len(stored))
    for member in batch:
        found = [
            stored.get((str(e.originator_id), e.originator_version), (None, None))
            for e in member.events
        ]
        if all(state == bytes(e.state) for (_, state), e in zip(found, member.events, strict=True)):
            member.succeed([n for n, _ in found])  # type: ignore[misc]
        else:
            member.fail(OperationalError("not committed (the connection was lost); retry"))


def _judge_again(recorder: GroupCommitApplicationRecorder, batch: list[Member]) -> None:
    recorder._insert_batch(batch)  # noqa: SLF001


def _stored_rows(
    recorder: GroupCommitApplicationRecorder, batch: list[Member], backend_pid: int
) -> dict[tuple[str, int], tuple[int, bytes]]:
    ids = [e.originator_id for m in batch for e in m.events]
    versions = [e.originator_version for m in batch for e in m.events]
    table = Identifier(recorder.datastore.schema, recorder.events_table_name)
    with recorder.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
        # End the old backend if it still runs, and wait until it is gone: its
        # transaction has then either committed or rolled back, for good.
        cur.execute(f"SELECT pg_terminate_backend(pid) {_STILL_APPENDING}", (backend_pid,))
        for _ in range(200):
            cur.execute(f"SELECT 1 {_STILL_APPENDING}", (backend_pid,))
            if cur.fetchone() is None:
                break
            time.sleep(0.01)
        else:
            raise OperationalError(f"backend {backend_pid} did not end")
        cur.execute(
            SQL(
                "SELECT t.originator_id, t.originator_version, t.notification_id, t.state"
                " FROM {table} t JOIN unnest(%s::{id_type}[], %s::int8[]) AS k(i, v)"
                " ON t.originator_id = k.i AND t.originator_version = k.v"
            ).format(table=table, id_type=SQL(recorder.datastore.originator_id_type)),
            (ids, versions),
        )
        return {(str(i), int(v)): (int(n), bytes(s)) for i, v, n, s in cur.fetchall()}
