"""Dead letters as the appliers record them: a quarantined event, and the events of the same
entity parked behind it.

An entity's row is a fold of its events in order, so once one of them is quarantined its
later events cannot be applied without leaving the row silently wrong (or, re-driven later,
moving it backwards). They are parked instead: each a dead letter with status 'parked'
pointing at the quarantined one, which a re-drive applies first and then its parked
followers in log order; skipping it hands them on to the next in line. This is simpler than
refusing out-of-order re-drives, which would leave a rebuild as the only way out.

Every letter carries the generation of the schema it was recorded in, so a rebuild's letters
never mix with the live model's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eventsourcing.persistence import Notification
from psycopg import Cursor, sql

from projections.engine.base import META_SCHEMA, TRACKING_TABLE
from projections.engine.log import describe

TABLE = sql.Identifier(META_SCHEMA, "dead_letters")


@dataclass
class Tracking:
    position: int
    generation: str
    # Entities with an open letter in this generation -> the quarantined letter they wait on.
    blocked: dict[str, int] = field(default_factory=dict)
    failed: set[int] = field(default_factory=set)  # positions quarantined or parked


def read_tracking_and_blocked(cur: Cursor, schema: str, name: str) -> Tracking:
    """The schema's position and generation, and its blocked entities, in one round trip."""
    cur.execute(
        sql.SQL(
            "SELECT t.position, t.generation::text, ARRAY("
            " SELECT ARRAY[originator_id, coalesce(parked_behind, id)::text] FROM {d}"
            " WHERE projection = %s AND generation = t.generation"
            " AND status IN ('quarantined', 'parked') AND originator_id IS NOT NULL)"
            " FROM {t} AS t"
        ).format(d=TABLE, t=sql.Identifier(schema, TRACKING_TABLE)),
        (name,),
    )
    row = cur.fetchone()
    if row is None:
        return Tracking(0, "")
    position, generation, pairs = row
    return Tracking(int(position), generation, {oid: int(head) for oid, head in pairs or []})


def entity_of(notification: Notification) -> str:
    return str(notification.originator_id)


def record_dead_letter(
    cur: Cursor,
    name: str,
    generation: str,
    notification: Notification,
    error: str,
    attempts: int,
    *,
    parked_behind: int | None = None,
) -> int | None:
    """Quarantine (or park) an event; returns the letter's id, or None when an operator chose
    to skip this event before: it stays skipped. Failing on it again updates the open row."""
    originator_id, version, topic = describe(notification)
    cur.execute(
        sql.SQL(
            "INSERT INTO {t} (projection, generation, position, originator_id,"
            " originator_version, topic, error, attempts, status, parked_behind)"
            " SELECT %(name)s, %(gen)s, %(pos)s, %(oid)s, %(ver)s, %(topic)s, %(error)s,"
            "  %(attempts)s, %(status)s, %(behind)s"
            " WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE projection = %(name)s"
            "  AND position = %(pos)s AND status = 'skipped')"
            " ON CONFLICT (projection, generation, position)"
            "  WHERE status IN ('quarantined', 'parked')"
            " DO UPDATE SET error = EXCLUDED.error, status = EXCLUDED.status,"
            "  parked_behind = EXCLUDED.parked_behind,"
            "  attempts = {t}.attempts + EXCLUDED.attempts"
            " RETURNING id"
        ).format(t=TABLE),
        {
            "name": name,
            "gen": generation,
            "pos": notification.id,
            "oid": originator_id,
            "ver": version,
            "topic": topic,
            "error": error,
            "attempts": attempts,
            "status": "quarantined" if parked_behind is None else "parked",
            "behind": parked_behind,
        },
    )
    row = cur.fetchone()
    return row[0] if row else None


def park(cur: Cursor, name: str, generation: str, notification: Notification, behind: int) -> None:
    record_dead_letter(
        cur, name, generation, notification, parked_message(behind), 0, parked_behind=behind
    )


def parked_message(behind: int) -> str:
    return f"parked behind dead letter {behind}: an earlier event of its entity"


def hand_on_parked(cur: Cursor, letter_id: int, reason: str) -> int | None:
    """The first event parked behind `letter_id` becomes the quarantined one the others wait
    on (it is the entity's next event); returns its id, or None when none was parked."""
    cur.execute(
        sql.SQL(
            "UPDATE {t} SET status = 'quarantined', parked_behind = NULL, error = %s"
            " WHERE id = (SELECT id FROM {t} WHERE parked_behind = %s AND status = 'parked'"
            "  ORDER BY position LIMIT 1) RETURNING id"
        ).format(t=TABLE),
        (reason, letter_id),
    )
    row = cur.fetchone()
    if row is None:
        return None
    cur.execute(
        sql.SQL(
            "UPDATE {t} SET parked_behind = %s, error = %s"
            " WHERE parked_behind = %s AND status = 'parked'"
        ).format(t=TABLE),
        (row[0], parked_message(row[0]), letter_id),
    )
    return row[0]
