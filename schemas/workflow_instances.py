"""Requests and responses of workflow instances: start, signal, approve/reject, cancel,
the instance, its stage executions and its timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictInt

from schemas.common import Request, Resource

InstanceStatus = Literal["pending", "running", "succeeded", "failed", "cancelled"]


class InstanceStart(Request):
    template: str = Field(min_length=1, max_length=100, description="a guid or a slug")
    template_version: StrictInt | Literal["latest"] = Field(
        default="latest", description="a published version, or latest (pinned now)"
    )
    input_context: dict[str, Any] | None = Field(
        default=None, description="JSON (at most 64 KiB), checked against the input schema"
    )
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)


class InstanceSignal(Request):
    name: str = Field(min_length=1, max_length=200, description="the signal's name")
    payload: dict[str, Any] | None = Field(default=None, description="JSON, at most 64 KiB")


class InstanceDecision(Request):
    comment: str | None = Field(default=None, max_length=2000)


class InstanceCancel(Request):
    reason: str | None = Field(default=None, max_length=2000)


class StageResult(BaseModel):
    status: Literal["succeeded", "skipped"]
    output: dict[str, Any]


class WorkflowInstance(Resource):
    organization_id: UUID
    team_id: UUID
    workspace_id: UUID
    project_id: UUID
    template_id: UUID
    template_version: int
    temporal_wf_id: str
    input_context: dict[str, Any]
    status: InstanceStatus
    run: int
    stage_results: dict[str, StageResult]
    current_stage: str | None
    failed_stage: str | None
    reason: str | None


class StageExecution(BaseModel):
    guid: UUID
    workflow_instance_id: UUID
    run: int
    stage_id: str
    stage_type: str
    attempt_number: int
    task_id: UUID | None
    task_status: str | None = None
    status: str
    output: dict[str, Any] | None
    error: dict[str, Any] | None
    started_at: datetime
    finished_at: datetime | None


class TimelineEntry(BaseModel):
    """An event of the instance (`kind` event) or a signal routed to it (`kind` signal)."""

    kind: Literal["event", "signal"]
    at: datetime
    event: str | None = None
    position: int | None = None
    run: int | None = None
    stage: str | None = None
    attempt: int | None = None
    status: str | None = None
    task_id: UUID | None = None
    detail: dict[str, Any] | None = None
    actor: str | None = None
    # signals: the routed event, the route (and its version) and what became of it
    event_type: str | None = None
    event_id: str | None = None
    route_id: UUID | None = None
    route_version: int | None = None
    route_slug: str | None = None
    route_system: bool | None = None
    target: str | None = None
    outcome: str | None = None
    reason: str | None = None


class InstanceTimeline(BaseModel):
    instance: WorkflowInstance
    executions: list[StageExecution]
    entries: list[TimelineEntry]
