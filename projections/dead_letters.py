"""Operator commands on quarantined events: list, re-drive (apply now), skip."""

from __future__ import annotations

from psycopg import sql
from psycopg.rows import dict_row

from projections.apply import try_apply
from projections.base import META_SCHEMA, Projection, batch_key, live_schema
from projections.log import EventLog, LogBatch
from projections.runner import connect

TABLE = sql.Identifier(META_SCHEMA, "dead_letters")


class DeadLetterNotFound(LookupError):
    pass


def list_dead_letters(
    conninfo: str, name: str | None = None, status: str | None = None
) -> list[dict]:
    query = sql.SQL(
        "SELECT id, projection, position, originator_id, originator_version, topic, error,"
        " attempts, status, created_at, resolved_at FROM {}"
        " WHERE (%(name)s::text IS NULL OR projection = %(name)s)"
        " AND (%(status)s::text IS NULL OR status = %(status)s) ORDER BY id"
    ).format(TABLE)
    with connect(conninfo, "dead-letters") as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, {"name": name, "status": status})
        return cur.fetchall()


def redrive(
    conninfo: str, projections: list[Projection], log: EventLog, dead_letter_id: int
) -> bool:
    """Apply the quarantined event to the live model now. True and marked 'redriven' if it
    applied; otherwise it stays quarantined with the new error and one more attempt."""
    by_name = {p.name: p for p in projections}
    with connect(conninfo, "dead-letters") as conn, conn.transaction():
        with conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL("SELECT projection, position, status FROM {} WHERE id = %s").format(TABLE),
                (dead_letter_id,),
            )
            row = cur.fetchone()
        if row is None:
            raise DeadLetterNotFound(dead_letter_id)
        projection = by_name.get(row["projection"])
        if projection is None:
            raise ValueError(f"unknown projection {row['projection']!r}")
        with conn.cursor() as cur:
            # Batch lock before the row lock, the order a runner or rebuild takes them in.
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (batch_key(projection.name),))
            cur.execute(
                sql.SQL("SELECT status FROM {} WHERE id = %s FOR UPDATE").format(TABLE),
                (dead_letter_id,),
            )
            (current,) = cur.fetchone()
            if current != "quarantined":
                raise ValueError(f"dead letter {dead_letter_id} is {current}, not quarantined")
            position = row["position"]
            notification = log.get(position)
            if notification is None:
                error: str | None = f"no event at position {position} in the log"
            else:
                schema = live_schema(projection.name)
                one = LogBatch([notification], log)
                _, error = try_apply(conn, cur, projection, schema, one, 1)
            if error is None:
                cur.execute(
                    sql.SQL(
                        "UPDATE {} SET status = 'redriven', resolved_at = now(),"
                        " attempts = attempts + 1 WHERE id = %s"
                    ).format(TABLE),
                    (dead_letter_id,),
                )
                return True
            cur.execute(
                sql.SQL("UPDATE {} SET error = %s, attempts = attempts + 1 WHERE id = %s").format(
                    TABLE
                ),
                (error, dead_letter_id),
            )
            return False


def skip(conninfo: str, dead_letter_id: int) -> None:
    with connect(conninfo, "dead-letters") as conn:
        row = conn.execute(
            sql.SQL(
                "UPDATE {} SET status = 'skipped', resolved_at = now()"
                " WHERE id = %s AND status = 'quarantined' RETURNING id"
            ).format(TABLE),
            (dead_letter_id,),
        ).fetchone()
    if row is None:
        raise DeadLetterNotFound(f"no quarantined dead letter {dead_letter_id}")
