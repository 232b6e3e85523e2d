"""What a runner tells other processes about itself: that it is retrying a transient error.

Best effort: when the database cannot take this write either, the runner has lost (or will
lose) its session and leader lock, which the status shows on its own.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from projections.engine.base import META_SCHEMA

logger = logging.getLogger(__name__)

TABLE = sql.Identifier(META_SCHEMA, "runner_state")


def report_retrying(conn: psycopg.Connection | None, name: str, error: str, attempts: int) -> None:
    if conn is None or conn.broken or conn.closed:
        return
    try:
        conn.execute(
            sql.SQL(
                "INSERT INTO {} (projection, retrying_since, error, attempts)"
                " VALUES (%s, now(), %s, %s) ON CONFLICT (projection)"
                " DO UPDATE SET error = EXCLUDED.error, attempts = EXCLUDED.attempts"
            ).format(TABLE),
            (name, error, attempts),
        )
    except psycopg.Error as exc:
        logger.debug("projection %s: could not report retrying: %s", name, exc)


def clear(conn: psycopg.Connection, name: str) -> None:
    conn.execute(sql.SQL("DELETE FROM {} WHERE projection = %s").format(TABLE), (name,))


def read_retrying(cur: psycopg.Cursor) -> dict[str, tuple[str, int, float]]:
    """Projection -> (last error, attempts, seconds since the first), for the status."""
    cur.execute("SELECT to_regclass(%s)", (f"{META_SCHEMA}.runner_state",))
    if cur.fetchone()[0] is None:
        return {}
    cur.execute(
        sql.SQL(
            "SELECT projection, error, attempts,"
            " extract(epoch FROM now() - retrying_since)::float8 FROM {}"
        ).format(TABLE)
    )
    return {name: (error, attempts, since) for name, error, attempts, since in cur.fetchall()}
