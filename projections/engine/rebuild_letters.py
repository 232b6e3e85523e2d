"""What a rebuild does to dead letters: its own are recorded in the shadow schema's
generation; at the swap they become the live model's, keeping the history of the letter
the old model had for the same event; letters of a rebuild that never swapped are
abandoned, never re-driven into a model they were not recorded for."""

from __future__ import annotations

from psycopg import Cursor, sql

from projections.engine.base import live_schema, read_generation
from projections.engine.quarantine import TABLE

OPEN = "status IN ('quarantined', 'parked')"


def abandon_dead_letters_of_aborted_rebuilds(cur: Cursor, name: str) -> None:
    """Run holding the rebuild lock: an open letter of any generation but the live one was
    recorded by a rebuild that failed or was interrupted."""
    live = read_generation(cur, live_schema(name))
    cur.execute(
        sql.SQL(
            "UPDATE {} SET status = 'abandoned', resolved_at = now()"
            f" WHERE projection = %s AND {OPEN} AND generation IS NOT NULL"
            " AND generation IS DISTINCT FROM %s::uuid"
        ).format(TABLE),
        (name, live),
    )


def adopt_dead_letters(cur: Cursor, name: str, old: str | None, new: str | None) -> None:
    """Inside the swap: where both generations hold an open letter for one event, the old
    row (the id operators know) takes the new one's state, and the attempts of both."""
    cur.execute(
        sql.SQL(
            "SELECT o.id, n.id, n.status, n.parked_behind, n.error, n.attempts"
            " FROM {t} o JOIN {t} n USING (projection, position)"
            f" WHERE o.projection = %s AND o.{OPEN} AND n.{OPEN}"
            " AND (o.generation = %s::uuid OR o.generation IS NULL) AND n.generation = %s::uuid"
        ).format(t=TABLE),
        (name, old, new),
    )
    for old_id, new_id, status, behind, error, attempts in cur.fetchall():
        cur.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(TABLE), (new_id,))
        cur.execute(
            sql.SQL(
                "UPDATE {} SET generation = %s, status = %s, parked_behind = %s, error = %s,"
                " attempts = attempts + %s WHERE id = %s"
            ).format(TABLE),
            (new, status, behind, error, attempts, old_id),
        )
        cur.execute(
            sql.SQL("UPDATE {} SET parked_behind = %s WHERE parked_behind = %s").format(TABLE),
            (old_id, new_id),
        )
