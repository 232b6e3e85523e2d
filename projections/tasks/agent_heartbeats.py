"""Agents' heartbeats, outside the event log: one row per task, overwritten by every beat
of its current attempt (a beat says only "alive", so it is no event). Its own schema
(`health`), so rebuilding the tasks read model never resets it; a task's read joins it
(`last_agent_heartbeat`, of the task's current attempt only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql

SCHEMA = "health"
TABLE = sql.Identifier(SCHEMA, "agent_heartbeats")
DDL = [
    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)),
    sql.SQL(
        "CREATE TABLE IF NOT EXISTS {} (task_id uuid PRIMARY KEY, attempt integer NOT NULL,"
        " last_heartbeat timestamptz NOT NULL)"
    ).format(TABLE),
]


async def beat(conn: AsyncConnection, task_id: UUID, attempt: int) -> datetime | None:
    """Note a beat of the attempt; a late beat of an older attempt never overwrites a newer."""
    cur = await conn.execute(
        sql.SQL(
            "INSERT INTO {t} AS h (task_id, attempt, last_heartbeat) VALUES (%s, %s, now())"
            " ON CONFLICT (task_id) DO UPDATE SET attempt = excluded.attempt,"
            " last_heartbeat = excluded.last_heartbeat WHERE h.attempt <= excluded.attempt"
            " RETURNING last_heartbeat"
        ).format(t=TABLE),
        (task_id, attempt),
    )
    row: Any = await cur.fetchone()
    return row["last_heartbeat"] if row else None
