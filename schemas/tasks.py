"""Requests and responses of tasks: submission, the task, its timeline, counts by status."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictInt

from schemas.common import Request, Resource

Ref = Field(min_length=1, max_length=100, description="a guid or a slug")
VersionOrLatest = StrictInt | Literal["latest"]


class PinRequest(Request):
    ref: str = Ref
    version: VersionOrLatest = Field(
        default="latest", description="a version number, or latest (resolved now, then pinned)"
    )


class Resources(Request):
    cpu: str | None = Field(default=None, max_length=20, description="e.g. 500m, 2")
    memory: str | None = Field(default=None, max_length=20, description="e.g. 512Mi, 1G")


class SecretNeed(Request):
    """A secret an attempt gets, and how: never its value."""

    name: str = Field(
        min_length=1, max_length=200, description="found nearest first: workspace, team, org"
    )
    as_: Literal["env", "file"] = Field(alias="as", description="an env variable or a file")
    env_var: str | None = Field(default=None, max_length=128, description="with as: env")
    path: str | None = Field(
        default=None, max_length=255, description="with as: file; relative to the working dir"
    )
    version: StrictInt | None = Field(
        default=None, ge=1, description="pin one version for every attempt; default: the latest"
    )


class TaskSubmit(Request):
    brief: str = Field(description="the task's brief (text, at most 256 KiB)")
    agent_image: str | None = Field(
        default=None, min_length=1, max_length=500, description="default: the definition's"
    )
    agent_definition: str | None = Field(
        default=None, min_length=1, max_length=100, description="a guid or a slug"
    )
    agent_definition_version: VersionOrLatest | None = None
    runtime_target: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="default: the project's settings.runtime_target, else the nearest default",
    )
    skills: list[PinRequest] | None = Field(default=None, max_length=100)
    configs: list[PinRequest] | None = Field(default=None, max_length=100)
    tools: list[PinRequest] | None = Field(default=None, max_length=100)
    input: dict[str, Any] | None = Field(default=None, description="JSON, at most 64 KiB")
    timeout_seconds: StrictInt | None = Field(default=None, ge=1, le=7 * 24 * 3600)
    resources: Resources | None = None
    callback_url: str | None = Field(default=None, min_length=1, max_length=2048)
    secrets: list[SecretNeed] | None = Field(
        default=None, max_length=50, description="secrets each attempt gets (env or file 0400)"
    )
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)


class TaskAction(Request):
    reason: str | None = Field(default=None, max_length=500)


class Pin(BaseModel):
    guid: UUID
    version: int


class TaskSecretAccess(BaseModel):
    """One resolution of a declared secret for one attempt (from the access ledger)."""

    secret_id: UUID
    attempt: int
    version_number: int
    backend: str
    resolver: str
    delivery: str
    target: str
    accessed_at: datetime
    times: int


class Task(Resource):
    organization_id: UUID
    team_id: UUID
    workspace_id: UUID
    project_id: UUID
    agent_image: str
    status: Literal[
        "pending",
        "queued",
        "dispatched",
        "running",
        "succeeded",
        "failed",
        "cancelled",
        "timed_out",
    ]
    reason: str | None
    attempt: int
    brief_key: str = Field(description="the brief in the blob store")
    dispatcher_id: str | None
    callback_url: str | None
    skills: list[Pin]
    configs: list[Pin]
    tools: list[Pin]
    agent_definition: Pin | None
    runtime_target: dict[str, Any] = Field(description="the target resolved at submission")
    input: dict[str, Any]
    timeout_seconds: int
    resources: dict[str, str]
    cancel_requested: bool
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    progress: dict[str, Any] | None
    deadline_at: datetime | None
    finished_at: datetime | None
    last_agent_heartbeat: datetime | None = Field(
        default=None, description="the current attempt's agent last beat (POST /v1/agent/...)"
    )
    secrets: list[dict[str, Any]] = Field(
        default_factory=list, description="declared secrets: names and delivery, never values"
    )
    waiting_reason: str | None = Field(
        default=None, description="why a claimed attempt has not started yet (none: not waiting)"
    )
    secret_accesses: list[TaskSecretAccess] = Field(
        default_factory=list, description="the ledger: which version each attempt resolved"
    )


class TimelineEntry(BaseModel):
    position: int
    at: datetime
    event: str
    status: str | None = Field(description="the status it moved to (none: cancel requested)")
    reason: str | None
    attempt: int
    dispatcher_id: str | None
    actor: str | None


class TaskCounts(BaseModel):
    counts: dict[str, int]
    total: int
