"""Probe counters of infra services, outside the event log: the health checker writes a
row per probe here, and only a change of health becomes an event. Its own schema
(`health`), so rebuilding a read model never resets it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import psycopg
from psycopg import sql

SCHEMA = "health"
TABLE = sql.Identifier(SCHEMA, "infra_services")
DDL = [
    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)),
    sql.SQL(
        "CREATE TABLE IF NOT EXISTS {} (service_id uuid PRIMARY KEY,"
        " consecutive_fails integer NOT NULL, is_healthy boolean,"
        " last_checked_at timestamptz NOT NULL, last_error text,"
        " next_check_at timestamptz NOT NULL)"
    ).format(TABLE),
]


def record_probe(
    conn: psycopg.Connection,
    service_id: UUID,
    ok: bool,
    error: str | None,
    checked_at: datetime,
    next_check_at: datetime,
) -> int:
    """Note one probe; the consecutive failures after it."""
    row = conn.execute(
        sql.SQL(
            "INSERT INTO {t} AS l (service_id, consecutive_fails, last_checked_at, last_error,"
            " next_check_at) VALUES (%(id)s, CASE WHEN %(ok)s THEN 0 ELSE 1 END, %(at)s,"
            " %(error)s, %(next)s) ON CONFLICT (service_id) DO UPDATE SET"
            " consecutive_fails = CASE WHEN %(ok)s THEN 0 ELSE l.consecutive_fails + 1 END,"
            " last_checked_at = %(at)s, last_error = %(error)s, next_check_at = %(next)s"
            " RETURNING consecutive_fails"
        ).format(t=TABLE),
        {"id": service_id, "ok": ok, "at": checked_at, "error": error, "next": next_check_at},
    ).fetchone()
    assert row is not None
    return int(row[0])


def note_health(conn: psycopg.Connection, service_id: UUID, healthy: bool) -> None:
    """The health the log now records (a copy, for reads that skip the read model's lag)."""
    conn.execute(
        sql.SQL("UPDATE {} SET is_healthy = %s WHERE service_id = %s").format(TABLE),
        (healthy, service_id),
    )


def due_services(conn: psycopg.Connection, now: datetime, limit: int) -> list[UUID]:
    """Live services never probed, or whose next probe is due."""
    rows = conn.execute(
        sql.SQL(
            "SELECT s.guid FROM rm_infra_services.services s LEFT JOIN {} l"
            " ON l.service_id = s.guid WHERE s.deleted_at IS NULL"
            " AND (l.next_check_at IS NULL OR l.next_check_at <= %s)"
            " ORDER BY l.next_check_at NULLS FIRST LIMIT %s"
        ).format(TABLE),
        (now, limit),
    ).fetchall()
    return [r[0] for r in rows]


def is_runtime_target_healthy(conn: psycopg.Connection, service_id: UUID) -> bool:
    """For dispatch: False only when the service is known unhealthy (an unknown or
    never-probed service does not hold tasks back)."""
    row = conn.execute(
        sql.SQL(
            "SELECT coalesce(l.is_healthy, s.is_healthy) FROM rm_infra_services.services s"
            " LEFT JOIN {} l ON l.service_id = s.guid WHERE s.guid = %s AND s.deleted_at IS NULL"
        ).format(TABLE),
        (service_id,),
    ).fetchone()
    return row is None or row[0] is not False
