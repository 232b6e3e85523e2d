"""TasksProjection: each task's current row and its timeline, from the Task's events."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor, sql

from domain.tasks.status import TERMINAL
from domain.tasks.task import Task
from projections.engine.dispatch import Creates, EventDispatch, events_to_apply
from projections.engine.entity_rows import OneTableIndex
from projections.engine.log import LogBatch
from projections.engine.row_writes import RowWrites
from projections.tasks import tables

_INDEX = OneTableIndex(tables.TASKS)
# A new attempt lets go of what the last one held.
_FORGOTTEN = {
    "dispatcher_id": None,
    "deadline_at": None,
    "cancel_requested": False,
    "result": None,
    "error": None,
    "progress": None,
    "finished_at": None,
}


# The Task's own events after Submitted (not the base class's Updated, Deleted...).
_TASK_EVENTS = frozenset(
    {
        "Queued",
        "Claimed",
        "Started",
        "ProgressReported",
        "Succeeded",
        "Failed",
        "TimedOut",
        "CancelRequested",
        "Cancelled",
        "Requeued",
        "SecretsDeclared",
        "Waiting",
    }
)
_NOT_TRANSITIONS = frozenset({"ProgressReported", "SecretsDeclared"})


def _target(cls: type) -> object:
    if issubclass(cls, Task.Submitted):
        return Creates(tables.TASKS)
    if issubclass(cls, Task.Event) and cls.__name__ in _TASK_EVENTS:
        return cls.__name__
    return None


_DISPATCH = EventDispatch(_target)
_TIMELINE = sql.SQL(
    "INSERT INTO {}.task_timeline (task_id, organization_id, position, at, event, status,"
    " reason, attempt, dispatcher_id, actor) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
    " ON CONFLICT DO NOTHING"
)


def row_changes(name: str, event: Any) -> dict[str, Any]:
    """What an event changes in the task's row."""
    if name == "ProgressReported":
        return {"progress": event.progress}
    if name == "CancelRequested":
        return {"cancel_requested": True, "reason": event.reason}
    if name == "SecretsDeclared":
        return {"secrets": event.secrets}
    if name == "Waiting":
        return {"waiting_reason": event.reason}
    changes: dict[str, Any] = {
        "status": event.status,
        "attempt": event.attempt,
        "reason": event.reason,
        "waiting_reason": None,
    }
    if name == "Requeued":
        changes.update(_FORGOTTEN)
    elif name == "Claimed":
        changes.update(dispatcher_id=event.dispatcher_id, deadline_at=event.deadline_at)
    elif name == "Succeeded":
        changes["result"] = event.result
    elif name == "Failed":
        changes["error"] = event.error
    if event.status in TERMINAL:
        changes["finished_at"] = event.timestamp
    return changes


def _entry(event: Any, position: int, name: str, status: str | None, attempt: int) -> tuple:
    return (
        event.originator_id,
        event.meta.get("tenant_id"),
        position,
        event.timestamp,
        name,
        status,
        getattr(event, "reason", "submitted"),
        attempt,
        getattr(event, "dispatcher_id", None),
        event.meta.get("actor"),
    )


class TasksProjection:
    name = "tasks"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        tables.create_tables(cur, schema)

    def apply(self, cur: Cursor, schema: str, batch: LogBatch) -> None:
        rows = RowWrites(schema, _INDEX)
        timeline = []
        for each in events_to_apply(cur, schema, batch, _DISPATCH, _INDEX):
            event, name = each.event, each.target
            if isinstance(name, Creates):
                rows.create(tables.TASKS, event, each.position)
                timeline.append(_entry(event, each.position, "Submitted", "pending", 1))
                continue
            rows.change(tables.TASKS, event, row_changes(name, event))
            if name not in _NOT_TRANSITIONS:
                status = getattr(event, "status", None)  # None: a cancel asked, or a wait
                timeline.append(_entry(event, each.position, name, status, event.attempt))
        rows.flush(cur)
        if timeline:
            cur.executemany(_TIMELINE.format(sql.Identifier(schema)), timeline)
