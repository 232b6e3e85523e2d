"""Operator commands on dead letters: list, re-drive (apply now), skip.

A re-drive applies a quarantined event and then the events parked behind it, in log order;
a parked event is never re-driven on its own (it would overtake the quarantined one). A
letter recorded in another generation than the live model's (a rebuild that failed or was
interrupted) is refused: its event may be in the live model already, or fail there anew.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from projections.engine.apply import try_apply
from projections.engine.base import Projection, batch_key, live_schema, read_generation
from projections.engine.log import EventLog, LogBatch
from projections.engine.quarantine import TABLE, hand_on_parked, parked_message
from projections.engine.runner import connect


class DeadLetterNotFound(LookupError):
    pass


def list_dead_letters(
    conninfo: str, name: str | None = None, status: str | None = None
) -> list[dict]:
    query = sql.SQL(
        "SELECT id, projection, position, originator_id, originator_version, topic, error,"
        " attempts, status, parked_behind, generation::text, created_at, resolved_at FROM {}"
        " WHERE (%(name)s::text IS NULL OR projection = %(name)s)"
        " AND (%(status)s::text IS NULL OR status = %(status)s) ORDER BY id"
    ).format(TABLE)
    with connect(conninfo, "dead-letters") as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, {"name": name, "status": status})
        return cur.fetchall()


def redrive(
    conninfo: str, projections: list[Projection], log: EventLog, dead_letter_id: int
) -> bool:
    """Apply the quarantined event to the live model now, then the events parked behind it.
    True and marked 'redriven' if it applied; otherwise it stays quarantined with the new
    error and one more attempt. A parked event that fails in turn becomes the quarantined
    one its followers wait on."""
    by_name = {p.name: p for p in projections}
    with connect(conninfo, "dead-letters") as conn, conn.transaction():
        name = _projection_of(conn, dead_letter_id)
        projection = by_name.get(name)
        if projection is None:
            raise ValueError(f"unknown projection {name!r}")
        with conn.cursor() as cur:
            letter = _lock(conn, name, dead_letter_id)
            _check_redrivable(cur, letter)
            error = _apply(conn, projection, log, letter["position"])
            if error is not None:
                _failed(cur, dead_letter_id, error)
                return False
            _resolve(cur, dead_letter_id, "redriven")
            cur.execute(
                sql.SQL(
                    "SELECT id, position FROM {} WHERE parked_behind = %s AND status = 'parked'"
                    " ORDER BY position"
                ).format(TABLE),
                (dead_letter_id,),
            )
            for parked_id, position in cur.fetchall():
                error = _apply(conn, projection, log, position)
                if error is None:
                    _resolve(cur, parked_id, "redriven")
                    continue
                hand_on_parked(cur, dead_letter_id, parked_message(dead_letter_id))
                _failed(cur, parked_id, error)
                break
            return True


def skip(conninfo: str, dead_letter_id: int) -> None:
    """Give up on a quarantined event; the first event parked behind it takes its place."""
    with connect(conninfo, "dead-letters") as conn, conn.transaction():
        try:
            name = _projection_of(conn, dead_letter_id)
        except DeadLetterNotFound:
            name = None
        with conn.cursor() as cur:
            letter = None if name is None else _lock(conn, name, dead_letter_id)
            if letter is None or letter["status"] != "quarantined":
                raise DeadLetterNotFound(f"no quarantined dead letter {dead_letter_id}")
            _resolve(cur, dead_letter_id, "skipped")
            reason = f"next in line after skipped dead letter {dead_letter_id}"
            hand_on_parked(cur, dead_letter_id, reason)


def _projection_of(conn: psycopg.Connection, dead_letter_id: int) -> str:
    query = sql.SQL("SELECT projection FROM {} WHERE id = %s").format(TABLE)
    row = conn.execute(query, (dead_letter_id,)).fetchone()
    if row is None:
        raise DeadLetterNotFound(dead_letter_id)
    return row[0]


def _lock(conn: psycopg.Connection, name: str, dead_letter_id: int) -> dict[str, Any]:
    # Batch lock before the row lock, the order a runner or rebuild takes them in: a
    # runner then never parks an event behind a letter resolved meanwhile.
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (batch_key(name),))
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            sql.SQL(
                "SELECT id, projection, position, status, parked_behind, generation::text"
                " FROM {} WHERE id = %s FOR UPDATE"
            ).format(TABLE),
            (dead_letter_id,),
        )
        return cur.fetchone()


def _check_redrivable(cur: psycopg.Cursor, letter: dict[str, Any]) -> None:
    number, status = letter["id"], letter["status"]
    if status == "parked":
        raise ValueError(
            f"dead letter {number} is parked behind dead letter {letter['parked_behind']}:"
            " redrive that one, its parked events follow it in order"
        )
    if status != "quarantined":
        raise ValueError(f"dead letter {number} is {status}, not quarantined")
    live = read_generation(cur, live_schema(letter["projection"]))
    if letter["generation"] is not None and letter["generation"] != live:
        raise ValueError(
            f"dead letter {number} was recorded by a rebuild of {letter['projection']} that"
            " never went live: it cannot be redriven into the live model (skip it, or run"
            " the rebuild again)"
        )


def _apply(
    conn: psycopg.Connection, projection: Projection, log: EventLog, position: int
) -> str | None:
    notification = log.get(position)
    if notification is None:
        return f"no event at position {position} in the log"
    with conn.cursor() as cur:
        one = LogBatch([notification], log)
        _, error = try_apply(conn, cur, projection, live_schema(projection.name), one, 1)
    return error


def _resolve(cur: psycopg.Cursor, dead_letter_id: int, status: str) -> None:
    tried = int(status == "redriven")  # skipping is not an attempt
    cur.execute(
        sql.SQL(
            "UPDATE {} SET status = %s, resolved_at = now(), attempts = attempts + %s WHERE id = %s"
        ).format(TABLE),
        (status, tried, dead_letter_id),
    )


def _failed(cur: psycopg.Cursor, dead_letter_id: int, error: str) -> None:
    cur.execute(
        sql.SQL(
            "UPDATE {} SET status = 'quarantined', parked_behind = NULL, error = %s,"
            " attempts = attempts + 1 WHERE id = %s"
        ).format(TABLE),
        (error, dead_letter_id),
    )
