"""Requests and responses of the agent-facing API: what an attempt's token may ask."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from schemas.common import Request


class PinnedEntry(BaseModel):
    name: str = Field(description="its slug: the name the runtime lays it out under")
    guid: UUID
    version: int


class AgentAttempt(BaseModel):
    """The attempt a token was minted for, as the task now stands."""

    task_id: UUID
    organization_id: UUID
    project_id: UUID
    attempt: int
    status: Literal["dispatched", "running"]
    cancel_requested: bool
    agent_image: str
    input: dict[str, Any]
    timeout_seconds: int
    deadline_at: datetime | None
    progress: dict[str, Any] | None
    skills: list[PinnedEntry]
    configs: list[PinnedEntry]


class PinnedConfig(PinnedEntry):
    content: Any = Field(description="the config's JSON content at the pinned version")


class ProgressReport(Request):
    message: str = Field(max_length=1000)
    percent: float | None = Field(default=None, ge=0, le=100)


class Completion(Request):
    result: dict[str, Any] = Field(description="the task's result (JSON, at most 64 KiB)")


class Failure(Request):
    message: str = Field(min_length=1, max_length=500)
    details: dict[str, Any] | None = None


class Reported(BaseModel):
    task_id: UUID
    attempt: int
    status: str
    version: int = Field(description="the task's version after the report")


class Heartbeat(BaseModel):
    task_id: UUID
    attempt: int
    last_heartbeat: datetime


class OutputAppended(BaseModel):
    attempt: int
    appended: int = Field(description="bytes appended")
    size: int = Field(description="the log's size after them")
