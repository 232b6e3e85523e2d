"""The status of each read model: where it is, how far behind, and whether it is healthy.

A model is UNHEALTHY while it may be wrong or falling behind: open (quarantined) dead
letters or events parked behind them in its live generation, its runner retrying a
transient error, or, while it is behind the head, no runner holding its leader lock or one
that has not advanced for `stalled_after` seconds. (A model idle for longer than that reads
as stalled in the few milliseconds between a new event's commit and its runner's batch.)
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from projections.engine.base import META_SCHEMA, TRACKING_TABLE, Projection, leader_key, live_schema
from projections.engine.log import EventLog
from projections.engine.runner import connect
from projections.engine.runner_state import read_retrying

STALLED_AFTER = 30.0


def status(
    conninfo: str,
    projections: list[Projection],
    log: EventLog,
    *,
    stalled_after: float = STALLED_AFTER,
) -> list[dict]:
    head = log.head()
    report = []
    with connect(conninfo, "status") as conn, conn.cursor() as cur:
        retrying = read_retrying(cur)
        for projection in projections:
            position, idle_for, generation = _tracking(cur, live_schema(projection.name))
            letters = _open_dead_letters(cur, projection.name, generation)
            row = {
                "name": projection.name,
                "position": position,
                "head": head,
                "lag": max(head - position, 0),
                "active": _lock_held(cur, leader_key(projection.name)),
                "quarantined": letters.get("quarantined", 0),
                "parked": letters.get("parked", 0),
            }
            problems = _problems(row, retrying.get(projection.name), idle_for, stalled_after)
            row["health"] = "UNHEALTHY: " + ", ".join(problems) if problems else "ok"
            report.append(row)
    return report


def _problems(
    row: dict, retrying: tuple[str, int, float] | None, idle_for: float, stalled_after: float
) -> list[str]:
    problems = [f"{row[k]} {k}" for k in ("quarantined", "parked") if row[k]]
    if retrying is not None and row["active"]:
        error, attempts, since = retrying
        problems.append(f"retrying for {since:.0f} s ({attempts} attempts; {error})")
    if row["lag"] and not row["active"]:
        problems.append("not running")
    elif row["lag"] and idle_for > stalled_after:
        problems.append(f"not advancing for {idle_for:.0f} s")
    return problems


def _tracking(cur: psycopg.Cursor, schema: str) -> tuple[int, float, str | None]:
    """Position, seconds since it last moved, and generation; zeros before a first run."""
    cur.execute("SELECT to_regclass(%s)", (f'"{schema}"."{TRACKING_TABLE}"',))
    if cur.fetchone()[0] is None:
        return 0, 0.0, None
    cur.execute(
        sql.SQL(
            "SELECT position, extract(epoch FROM now() - updated_at)::float8, generation::text"
            " FROM {}"
        ).format(sql.Identifier(schema, TRACKING_TABLE))
    )
    row = cur.fetchone()
    return (int(row[0]), float(row[1]), row[2]) if row else (0, 0.0, None)


def _lock_held(cur: psycopg.Cursor, key: int) -> bool:
    """A bigint advisory lock shows in pg_locks as classid = high half, objid = low half."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    cur.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1)",
        (unsigned >> 32, unsigned & 0xFFFF_FFFF),
    )
    row = cur.fetchone()
    return bool(row and row[0])


def _open_dead_letters(cur: psycopg.Cursor, name: str, generation: str | None) -> dict[str, int]:
    """Open letters of the live generation (and those from before generations were kept);
    a rebuild's own are not the live model's problem."""
    cur.execute("SELECT to_regclass(%s)", (f"{META_SCHEMA}.dead_letters",))
    if cur.fetchone()[0] is None:
        return {}
    cur.execute(
        sql.SQL(
            "SELECT status, count(*) FROM {} WHERE projection = %s"
            " AND status IN ('quarantined', 'parked')"
            " AND (generation IS NULL OR generation = %s::uuid) GROUP BY 1"
        ).format(sql.Identifier(META_SCHEMA, "dead_letters")),
        (name, generation),
    )
    return dict(cur.fetchall())
