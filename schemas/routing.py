"""EventRoutes, their trials (`:test`, `:replay`) and deliveries on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictBool, StrictInt, model_validator

from schemas.common import SLUG, Request, Resource

Pattern = Field(min_length=1, max_length=500)
Program = Field(default=None, max_length=16384)
Action = Literal["signal", "signal_with_start"]
Outcome = Literal["delivered", "duplicate", "failed", "dead_lettered"]


class RouteDefinition(Request):
    event_type: str = Field(
        min_length=1,
        max_length=500,
        description="exact, or a glob: * within a dot segment, ** across",
    )
    source: str = Field(
        default="**", min_length=1, max_length=500, description="exact, or a glob over / segments"
    )
    target_wf_id: str = Field(
        min_length=1,
        max_length=500,
        description="a workflow id, or a template: task-{data.task_id}",
    )
    signal_name: str = Field(min_length=1, max_length=200)
    transform: str | None = Field(default=None, max_length=16384, description="jq: the payload")
    filter: str | None = Field(default=None, max_length=4096, description="CEL over the event")
    action: Action = "signal"
    workflow_type: str | None = Field(default=None, max_length=200)
    task_queue: str | None = Field(default=None, max_length=200)
    enabled: StrictBool = True


class EventRouteCreate(RouteDefinition):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str = Field(default="", max_length=4000)


class EventRoutePatch(Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str | None = Field(default=None, max_length=4000)
    event_type: str | None = Field(default=None, min_length=1, max_length=500)
    source: str | None = Field(default=None, min_length=1, max_length=500)
    target_wf_id: str | None = Field(default=None, min_length=1, max_length=500)
    signal_name: str | None = Field(default=None, min_length=1, max_length=200)
    transform: str | None = Field(default=None, max_length=16384)
    filter: str | None = Field(default=None, max_length=4096)
    action: Action | None = None
    workflow_type: str | None = Field(default=None, max_length=200)
    task_queue: str | None = Field(default=None, max_length=200)
    enabled: StrictBool | None = None


class EventRoute(Resource):
    organization_id: UUID
    system: bool
    current_version: int
    latest_version: int
    content_hash: str | None
    definition: dict[str, Any] | None


class EventRouteVersion(BaseModel):
    route_id: UUID
    version_number: int
    content_hash: str
    is_current: bool
    created_at: datetime
    created_by: str | None
    content: dict[str, Any]


class RouteTest(Request):
    """Exactly one of `event` (a CloudEvent) or `event_position` (a stored event of the
    organization, by log position); `route`, a draft, instead of the stored route."""

    event: dict[str, Any] | None = None
    event_position: StrictInt | None = Field(default=None, ge=1)
    route: RouteDefinition | None = None

    @model_validator(mode="after")
    def one_event(self) -> RouteTest:
        if (self.event is None) == (self.event_position is None):
            raise ValueError("give exactly one of event and event_position")
        return self


class EvaluationError(BaseModel):
    field: str
    message: str


class Evaluation(BaseModel):
    event_id: str | None
    matched: bool
    filter_result: bool | None
    output: Any = None
    target: str | None
    error: EvaluationError | None


class RouteReplay(Request):
    """A range of the organization's stored events: positions, or times, or both."""

    from_position: StrictInt = Field(default=1, ge=1)
    to_position: StrictInt | None = Field(default=None, ge=1)
    since: datetime | None = None
    until: datetime | None = None
    route: RouteDefinition | None = None


class Replayed(BaseModel):
    items: list[Evaluation] = Field(description="the events the route would have signalled")
    errors: list[Evaluation] = Field(description="matched events it could not evaluate")
    scanned: int = Field(description="events of the organization read in this page")
    next_position: int | None = Field(description="from_position of the next page, if any")


class Delivery(BaseModel):
    guid: UUID
    organization_id: UUID
    route_id: UUID
    route_version: int
    event_id: str
    event_type: str | None
    event_position: int | None
    target: str | None
    outcome: Outcome
    reason: str | None
    attempt: int
    redrive_requested: bool
    version: int
    created_at: datetime
    updated_at: datetime
