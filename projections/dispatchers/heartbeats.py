"""Dispatchers' heartbeats, outside the event log: one row per dispatcher, overwritten on
every beat. Only a change of status (online -> lost -> online) becomes an event."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql

SCHEMA = "health"
TABLE = sql.Identifier(SCHEMA, "dispatchers")
DDL = [
    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)),
    sql.SQL(
        "CREATE TABLE IF NOT EXISTS {} (dispatcher_id uuid PRIMARY KEY, name text NOT NULL,"
        " last_heartbeat timestamptz NOT NULL)"
    ).format(TABLE),
]


async def beat(conn: AsyncConnection, dispatcher_id: UUID, name: str) -> None:
    await conn.execute(
        sql.SQL(
            "INSERT INTO {} (dispatcher_id, name, last_heartbeat) VALUES (%s, %s, now())"
            " ON CONFLICT (dispatcher_id) DO UPDATE SET last_heartbeat = now()"
        ).format(TABLE),
        (dispatcher_id, name),
    )


async def last_heartbeat(conn: AsyncConnection, dispatcher_id: UUID) -> datetime | None:
    cur = await conn.execute(
        sql.SQL("SELECT last_heartbeat FROM {} WHERE dispatcher_id = %s").format(TABLE),
        (dispatcher_id,),
    )
    row: Any = await cur.fetchone()
    return row["last_heartbeat"] if row else None


async def silent_since(conn: AsyncConnection, limit_seconds: float) -> list[tuple[UUID, str]]:
    """Dispatchers whose last beat is older than the limit (and younger than a day: one
    gone for longer holds nothing any more)."""
    cur = await conn.execute(
        sql.SQL(
            "SELECT dispatcher_id, name FROM {} WHERE last_heartbeat > now() - interval '1 day'"
            " AND last_heartbeat < now() - make_interval(secs => %s)"
        ).format(TABLE),
        (limit_seconds,),
    )
    rows: list[Any] = await cur.fetchall()
    return [(row["dispatcher_id"], row["name"]) for row in rows]


async def alive_within(conn: AsyncConnection, seconds: float) -> list[tuple[UUID, str]]:
    """Dispatchers whose last beat is younger than `seconds`."""
    cur = await conn.execute(
        sql.SQL(
            "SELECT dispatcher_id, name FROM {}"
            " WHERE last_heartbeat >= now() - make_interval(secs => %s) ORDER BY name"
        ).format(TABLE),
        (seconds,),
    )
    rows: list[Any] = await cur.fetchall()
    return [(row["dispatcher_id"], row["name"]) for row in rows]
