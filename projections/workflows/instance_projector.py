"""WorkflowInstancesProjection: instances, their stage executions and their timeline."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor, sql
from psycopg.types.json import Jsonb

from domain.workflows.instance import WorkflowInstance
from domain.workflows.stage_execution import WorkflowStageExecution
from projections.engine.dispatch import BY_ORIGINATOR, Creates, EventDispatch, events_to_apply
from projections.engine.entity_rows import LIFECYCLE_EVENTS, OneTableIndex, lifecycle_changes
from projections.engine.log import LogBatch
from projections.engine.row_writes import RowWrites
from projections.workflows import instance_tables as tables

_INDEX = OneTableIndex(tables.INSTANCES)
_INSTANCE_EVENTS = frozenset(
    {"RunStarted", "StageEntered", "StageResultRecorded", "Finished", "Commanded", "RetryRequested"}
)
EXECUTION = "execution"


def _target(cls: type) -> object:
    if issubclass(cls, WorkflowInstance.Requested):  # type: ignore[attr-defined]
        return Creates(tables.INSTANCES)
    if issubclass(cls, WorkflowInstance.Event) and cls.__name__ in _INSTANCE_EVENTS:
        return cls.__name__
    if issubclass(cls, WorkflowStageExecution.Event):
        return EXECUTION
    if issubclass(cls, LIFECYCLE_EVENTS):
        return BY_ORIGINATOR
    return None


_DISPATCH = EventDispatch(_target)


def row_changes(name: str, event: Any) -> dict[str, Any]:
    if name == "RunStarted":
        return {"status": "running"}
    if name == "StageEntered":
        return {"current_stage": event.stage}
    if name == "Finished":
        failed = event.failed_stage if event.status == "failed" else None
        return {
            "status": event.status,
            "reason": event.reason,
            "failed_stage": failed,
            "current_stage": None,
        }
    if name == "RetryRequested":
        return {
            "run": event.run,
            "temporal_wf_id": event.temporal_wf_id,
            "status": "pending",
            "reason": None,
        }
    return {}


def _entry(event: Any, position: int, name: str, **values: Any) -> dict[str, Any]:
    return {
        "instance_id": values.pop("instance_id", event.originator_id),
        "position": position,
        "at": event.timestamp,
        "event": name,
        "run": values.get("run"),
        "stage": values.get("stage"),
        "attempt": values.get("attempt"),
        "status": values.get("status"),
        "task_id": values.get("task_id"),
        "detail": Jsonb(values.get("detail") or {}),
        "actor": event.meta.get("actor"),
    }


def _instance_entry(event: Any, position: int, name: str) -> dict[str, Any]:
    if name == "Commanded":
        detail = {"command": event.command, "name": event.name, "comment": event.comment}
        if event.payload:
            detail["payload"] = event.payload
        return _entry(event, position, name, stage=event.stage, detail=detail)
    if name == "StageResultRecorded":
        return _entry(
            event, position, name, run=event.run, stage=event.stage, status=event.status,
            detail={"output": event.output},
        )  # fmt: skip
    if name == "Finished":
        return _entry(
            event, position, name, status=event.status, stage=event.failed_stage,
            detail={"reason": event.reason},
        )  # fmt: skip
    return _entry(
        event, position, name, run=getattr(event, "run", None), stage=getattr(event, "stage", None),
        attempt=getattr(event, "attempt", None),
    )  # fmt: skip


_INSERT_EXECUTION = (
    "INSERT INTO {}.stage_executions (guid, workflow_instance_id, organization_id, project_id,"
    " run, stage_id, stage_type, attempt_number, task_id, status, started_at, position)"
    " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,'running',%s,%s) ON CONFLICT DO NOTHING"
)
_FINISH_EXECUTION = (
    "UPDATE {}.stage_executions SET status = %s, output = %s, error = %s, finished_at = %s"
    " WHERE guid = %s RETURNING workflow_instance_id, run, stage_id, attempt_number, task_id"
)
_TIMELINE = (
    "INSERT INTO {}.instance_timeline (instance_id, position, at, event, run, stage, attempt,"
    " status, task_id, detail, actor) VALUES (%(instance_id)s, %(position)s, %(at)s,"
    " %(event)s, %(run)s, %(stage)s, %(attempt)s, %(status)s, %(task_id)s, %(detail)s,"
    " %(actor)s) ON CONFLICT DO NOTHING"
)


class WorkflowInstancesProjection:
    name = "workflow_instances"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        tables.create_tables(cur, schema)

    def apply(self, cur: Cursor, schema: str, batch: LogBatch) -> None:
        rows = RowWrites(schema, _INDEX)
        timeline: list[dict[str, Any]] = []
        at = sql.Identifier(schema)
        for each in events_to_apply(cur, schema, batch, _DISPATCH, _INDEX):
            event, name = each.event, each.target
            if isinstance(name, Creates):
                rows.create(tables.INSTANCES, event, each.position)
                timeline.append(_entry(event, each.position, "Requested", status="pending"))
            elif name is BY_ORIGINATOR:
                changes = lifecycle_changes(event)
                if changes is not None:
                    rows.change(tables.INSTANCES, event, changes)
            elif name == EXECUTION:
                timeline.append(self._execution(cur, at, event, each.position))
            else:
                if name == "StageResultRecorded":
                    rows.change(tables.INSTANCES, event, {})
                    self._results(cur, at, rows, event)
                else:
                    rows.change(tables.INSTANCES, event, row_changes(name, event))
                timeline.append(_instance_entry(event, each.position, name))
        rows.flush(cur)
        if timeline:
            cur.executemany(sql.SQL(_TIMELINE).format(at), timeline)

    def _results(self, cur: Cursor, at: sql.Identifier, rows: RowWrites, event: Any) -> None:
        """stage_results grows one key per event: merged in SQL, so a batch that also
        created the row (pending in `rows`) is flushed first."""
        rows.flush(cur)
        cur.execute(
            sql.SQL(
                "UPDATE {}.workflow_instances SET stage_results = stage_results || %s"
                " WHERE guid = %s"
            ).format(at),
            (Jsonb({event.stage: {"status": event.status, "output": event.output}}),
             event.originator_id),
        )  # fmt: skip

    def _execution(
        self, cur: Cursor, at: sql.Identifier, event: Any, position: int
    ) -> dict[str, Any]:
        if isinstance(event, WorkflowStageExecution.Started):  # type: ignore[attr-defined]
            cur.execute(
                sql.SQL(_INSERT_EXECUTION).format(at),
                (event.originator_id, event.workflow_instance_id, event.organization_id,
                 event.project_id, event.run, event.stage_id, event.stage_type,
                 event.attempt_number, event.task_id, event.timestamp, position),
            )  # fmt: skip
            return _entry(
                event, position, "StageStarted", instance_id=event.workflow_instance_id,
                run=event.run, stage=event.stage_id, attempt=event.attempt_number,
                status="running", task_id=event.task_id, detail={"stage_type": event.stage_type},
            )  # fmt: skip
        output = Jsonb(event.output) if event.output is not None else None
        error = Jsonb(event.error) if event.error is not None else None
        cur.execute(
            sql.SQL(_FINISH_EXECUTION).format(at),
            (event.status, output, error, event.timestamp, event.originator_id),
        )
        found = cur.fetchone()
        if found is None:
            raise LookupError(f"stage execution {event.originator_id} was never started")
        instance_id, run, stage, attempt, task_id = (
            found if isinstance(found, tuple) else tuple(found.values())
        )
        detail = {"error": event.error} if event.error else {}
        return _entry(
            event, position, "StageFinished", instance_id=instance_id, run=run, stage=stage,
            attempt=attempt, status=event.status, task_id=task_id, detail=detail,
        )  # fmt: skip
