"""What the router and the API's `:test` evaluate: a route's definition at one version
(`RouteSpec`) and what it made of one CloudEvent (`Evaluation`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

Action = Literal["signal", "signal_with_start"]
ACTIONS: tuple[str, ...] = ("signal", "signal_with_start")


@dataclass(frozen=True)
class RouteSpec:
    """One version of a route; `route_id` None is a draft (nothing is cached for it)."""

    route_id: UUID | None
    version: int
    organization_id: UUID | None
    event_type: str
    source: str
    target_wf_id: str
    signal_name: str
    transform: str | None = None
    filter: str | None = None
    action: Action = "signal"
    workflow_type: str | None = None
    task_queue: str | None = None
    enabled: bool = True
    system: bool = False

    @property
    def cache_key(self) -> str | None:
        return f"{self.route_id}:{self.version}" if self.route_id else None


@dataclass(frozen=True)
class EvaluationError:
    field: str  # filter | transform | target | event
    message: str


@dataclass(frozen=True)
class Evaluation:
    matched: bool
    filter_result: bool | None = None
    output: Any = None
    target: str | None = None
    error: EvaluationError | None = None
    # The CloudEvent's id, so a list of evaluations says which event each one is about.
    event_id: str | None = field(default=None, compare=False)

    @property
    def would_signal(self) -> bool:
        return self.matched and self.filter_result is not False and self.error is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "matched": self.matched,
            "filter_result": self.filter_result,
            "output": self.output,
            "target": self.target,
            "error": None
            if self.error is None
            else {"field": self.error.field, "message": self.error.message},
        }
