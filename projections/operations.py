"""Synchronous read-side operations for the CLI: schema, status, rebuild, dead letters."""

from __future__ import annotations

import psycopg
from psycopg import sql

from projections.base import (
    META_SCHEMA,
    Projection,
    batch_key,
    ensure_meta,
    ensure_projection_schema,
    leader_key,
    live_schema,
    read_tracking,
)
from projections.dead_letters import DeadLetterNotFound, list_dead_letters, redrive, skip
from projections.log import EventLog
from projections.rebuild import RebuildInProgress, rebuild
from projections.runner import connect

__all__ = [
    "DeadLetterNotFound",
    "RebuildInProgress",
    "ensure_schema",
    "list_dead_letters",
    "rebuild",
    "redrive",
    "skip",
    "status",
]


def ensure_schema(conninfo: str, projections: list[Projection]) -> None:
    with connect(conninfo, "ensure-schema") as conn:
        with conn.transaction(), conn.cursor() as cur:
            ensure_meta(cur)
        for projection in projections:
            with conn.transaction(), conn.cursor() as cur:
                # Batch lock first, as a runner takes it, so the two never deadlock.
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (batch_key(projection.name),))
                ensure_projection_schema(cur, projection, live_schema(projection.name))


def status(conninfo: str, projections: list[Projection], log: EventLog) -> list[dict]:
    head = log.head()
    report = []
    with connect(conninfo, "status") as conn, conn.cursor() as cur:
        quarantined = _open_dead_letters(cur)
        for projection in projections:
            try:
                position = read_tracking(cur, live_schema(projection.name))
            except psycopg.errors.UndefinedTable:  # never run yet
                position = 0
            report.append(
                {
                    "name": projection.name,
                    "position": position,
                    "head": head,
                    "lag": max(head - position, 0),
                    "active": _lock_held(cur, leader_key(projection.name)),
                    "quarantined": quarantined.get(projection.name, 0),
                }
            )
    return report


def _lock_held(cur, key: int) -> bool:
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


def _open_dead_letters(cur) -> dict[str, int]:
    cur.execute("SELECT to_regclass(%s)", (f"{META_SCHEMA}.dead_letters",))
    row = cur.fetchone()
    if not (row and row[0]):
        return {}
    cur.execute(
        sql.SQL(
            "SELECT projection, count(*) FROM {} WHERE status = 'quarantined' GROUP BY 1"
        ).format(sql.Identifier(META_SCHEMA, "dead_letters"))
    )
    return {name: count for name, count in cur.fetchall()}
