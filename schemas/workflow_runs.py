"""What the instance workflow and its activities pass each other (Temporal payloads): one
dataclass in and one out of each activity. Plain data only: Temporal stores these in the
workflow's history, and a replay reads them back, so fields are only ever added, with
defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WORKFLOW_TYPE = "SignalyardWorkflow"
FINISHED_STATUSES = ("succeeded", "failed", "cancelled")


@dataclass
class FailurePolicy:
    action: str = "abort"  # retry | skip | abort | compensate
    max_attempts: int = 1
    backoff_seconds: float = 0.0
    compensation_stage: str | None = None


@dataclass
class StagePlan:
    name: str
    stage_type: str  # agent_task | approval | wait_for_event
    timeout_seconds: int
    on_failure: FailurePolicy = field(default_factory=FailurePolicy)
    signal: str | None = None  # wait_for_event: the signal's name
    raw: dict[str, Any] = field(default_factory=dict)  # the template's stage, as pinned


@dataclass
class PlanIn:
    instance_id: str


@dataclass
class PlanOut:
    run: int
    temporal_wf_id: str
    status: str
    stages: list[StagePlan]
    from_stage: str | None = None


@dataclass
class RunIn:
    instance_id: str
    run: int


@dataclass
class Done:
    changed: bool = True


@dataclass
class EnterStageIn:
    instance_id: str
    run: int
    stage: StagePlan
    attempt: int


@dataclass
class EnterStageOut:
    task_id: str | None = None
    error: dict[str, Any] | None = None  # the stage could not begin (e.g. a missing input)


@dataclass
class FinishStageIn:
    instance_id: str
    run: int
    stage: str
    attempt: int
    status: str  # succeeded | failed | timed_out | cancelled | rejected
    output: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    skipped: bool = False  # failed, and the template says to go on without it


@dataclass
class FinishIn:
    instance_id: str
    run: int
    status: str  # succeeded | failed | cancelled
    reason: str | None = None
    stage: str | None = None  # the stage that failed


@dataclass
class CancelTaskIn:
    task_id: str
    reason: str
