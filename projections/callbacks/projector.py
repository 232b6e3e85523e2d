"""CallbacksProjection: one row per callback delivery, updated by each of its events.

Updates apply only to a row older than the event (`version <`), so an event applied again
never moves a row backwards.
"""

from __future__ import annotations

from typing import Any

from psycopg import Cursor, sql

from domain.callbacks.delivery import CallbackDelivery
from projections.callbacks import tables
from projections.engine.dispatch import EventDispatch
from projections.engine.log import LogBatch

_KINDS = (
    CallbackDelivery.Scheduled,
    CallbackDelivery.Attempted,
    CallbackDelivery.Delivered,
    CallbackDelivery.DeadLettered,
    CallbackDelivery.Redriven,
)
_DISPATCH = EventDispatch(lambda cls: next((k for k in _KINDS if issubclass(cls, k)), None))


def _changes(event: Any) -> dict[str, Any]:
    match event:
        case CallbackDelivery.Attempted():
            return {
                "tries": sql.SQL("tries + 1"),
                "total_tries": sql.SQL("total_tries + 1"),
                "last_status_code": event.status_code,
                "last_error": event.error,
                "last_tried_at": event.at,
                "due_at": event.next_due_at,
            }
        case CallbackDelivery.Delivered():
            return {"status": "delivered", "due_at": None}
        case CallbackDelivery.DeadLettered():
            return {"status": "dead_lettered", "dead_letter_reason": event.reason, "due_at": None}
        case CallbackDelivery.Redriven():
            return {
                "status": "scheduled",
                "tries": 0,
                "rounds": sql.SQL("rounds + 1"),
                "dead_letter_reason": None,
                "due_at": event.due_at,
                "expires_at": event.expires_at,
            }
    return {}


class CallbacksProjection:
    name = "callbacks"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        tables.create_tables(cur, schema)

    def apply(self, cur: Cursor, schema: str, batch: LogBatch) -> None:
        table = sql.Identifier(schema, "deliveries")
        for notification in batch.notifications:
            kind = _DISPATCH.of(notification.topic)
            if kind is None:
                continue
            event = batch.decode(notification)
            if kind is CallbackDelivery.Scheduled:
                self._insert(cur, table, event, notification.id)
            else:
                self._update(cur, table, event)

    def _insert(self, cur: Cursor, table: sql.Identifier, event: Any, position: int) -> None:
        cur.execute(
            sql.SQL(
                "INSERT INTO {} (guid, organization_id, subject_id, attempt, outcome, event_type,"
                " url, status, due_at, expires_at, version, created_position, created_at,"
                " created_by, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,'scheduled',%s,%s,%s,%s,"
                "%s,%s,%s) ON CONFLICT (guid) DO NOTHING"
            ).format(table),
            (
                event.originator_id,
                event.organization_id,
                event.subject_id,
                event.attempt,
                event.outcome,
                event.event_type,
                event.url,
                event.due_at,
                event.expires_at,
                event.originator_version,
                position,
                event.timestamp,
                event.meta.get("actor"),
                event.timestamp,
            ),
        )

    def _update(self, cur: Cursor, table: sql.Identifier, event: Any) -> None:
        changes = {**_changes(event), "version": event.originator_version}
        changes["updated_at"] = event.timestamp
        assignments, values = [], []
        for column, value in changes.items():
            if isinstance(value, sql.Composable):
                assignments.append(sql.SQL("{} = {}").format(sql.Identifier(column), value))
            else:
                assignments.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
                values.append(value)
        cur.execute(
            sql.SQL("UPDATE {} SET {} WHERE guid = %s AND version < %s").format(
                table, sql.SQL(", ").join(assignments)
            ),
            (*values, event.originator_id, event.originator_version),
        )
