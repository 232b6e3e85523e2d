"""Requests and responses of dispatcher credentials and of the dispatcher-facing API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from schemas.common import Name, Request


class DispatcherCredentialCreate(Request):
    dispatcher_name: str = Field(
        min_length=1, max_length=200, description="the dispatcher it registers and acts as"
    )
    name: str = Name


class DispatcherCredential(BaseModel):
    guid: UUID
    dispatcher_name: str
    name: str
    revoked_at: datetime | None = None
    version: int
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    updated_by: str | None


class IssuedDispatcherCredential(DispatcherCredential):
    secret: str = Field(description="the bearer secret of the dispatcher: shown once, never again")


class DispatcherRegistration(Request):
    runtime: str = Field(min_length=1, max_length=40, description="local | kubernetes | ...")
    dispatch_mode: Literal["pull", "push"] = "pull"
    endpoint_url: str | None = Field(
        default=None, max_length=2000, description="push: where Signalyard offers queued tasks"
    )
    bus_config: dict[str, Any] = Field(
        default_factory=dict, description="what it consumes (never credentials)"
    )


class RegisteredDispatcher(BaseModel):
    dispatcher_id: UUID
    name: str


class AttemptReport(Request):
    attempt: int = Field(ge=1, le=1_000_000, description="the attempt: a fencing token")


class Outcome(AttemptReport):
    detail: dict[str, Any] = Field(
        default_factory=dict, description="succeed: the result; fail: the error"
    )


class TaskMoved(BaseModel):
    guid: UUID
    status: str
    attempt: int
    version: int
