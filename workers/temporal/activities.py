"""The instance workflow's activities: all of its I/O, each a method of a class holding the
use cases it calls, one dataclass in and one out. Each runs as the platform, caused by the
workflow (its id is the correlation), and is safe to run again."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from temporalio import activity

from domain.core.context import CommandContext
from domain.core.errors import InvalidInput, NotFound
from domain.workflows.instance_runs import InstanceRuns
from schemas.workflow_runs import (
    CancelTaskIn,
    Done,
    EnterStageIn,
    EnterStageOut,
    FailurePolicy,
    FinishIn,
    FinishStageIn,
    PlanIn,
    PlanOut,
    RunIn,
    StagePlan,
)


def _ctx() -> CommandContext:
    info = activity.info()
    return CommandContext(
        actor_id=None,
        correlation_id=info.workflow_id,
        causation_id=f"{info.workflow_run_id}/{info.activity_id}",
        is_platform_admin=True,
    )


def stage_plan(stage: dict[str, Any]) -> StagePlan:
    policy = stage.get("on_failure") or {}
    return StagePlan(
        name=stage["name"],
        stage_type=stage["stage_type"],
        timeout_seconds=int(stage.get("timeout_seconds") or 3600),
        on_failure=FailurePolicy(
            action=policy.get("action") or "abort",
            max_attempts=int(policy.get("max_attempts") or 1),
            backoff_seconds=float(policy.get("backoff_seconds") or 0),
            compensation_stage=policy.get("compensation_stage"),
        ),
        signal=(stage.get("event") or {}).get("signal"),
        raw=stage,
    )


class InstanceActivities:
    def __init__(self, runs: InstanceRuns) -> None:
        self.runs = runs

    @activity.defn(name="plan")
    def plan(self, arg: PlanIn) -> PlanOut:
        plan = self.runs.plan(_ctx(), UUID(arg.instance_id))
        return PlanOut(
            run=plan.run,
            temporal_wf_id=plan.temporal_wf_id,
            status=plan.status,
            stages=[stage_plan(s) for s in plan.stages],
            from_stage=plan.from_stage,
        )

    @activity.defn(name="begin_run")
    def begin_run(self, arg: RunIn) -> Done:
        self.runs.begin_run(_ctx(), UUID(arg.instance_id), arg.run)
        return Done()

    @activity.defn(name="enter_stage")
    def enter_stage(self, arg: EnterStageIn) -> EnterStageOut:
        try:
            task_id = self.runs.enter_stage(
                _ctx(), UUID(arg.instance_id), arg.run, arg.stage.raw, arg.attempt
            )
        except (
            InvalidInput,
            NotFound,
        ) as exc:  # the stage cannot begin as written: it fails, truthfully
            return EnterStageOut(error={"message": exc.message, "field": exc.field})
        return EnterStageOut(task_id=str(task_id) if task_id else None)

    @activity.defn(name="finish_stage")
    def finish_stage(self, arg: FinishStageIn) -> Done:
        self.runs.finish_stage(
            _ctx(),
            UUID(arg.instance_id),
            arg.run,
            arg.stage,
            arg.attempt,
            arg.status,
            arg.output,
            arg.error,
            skipped=arg.skipped,
        )
        return Done()

    @activity.defn(name="finish")
    def finish(self, arg: FinishIn) -> Done:
        self.runs.finish(_ctx(), UUID(arg.instance_id), arg.run, arg.status, arg.reason, arg.stage)
        return Done()

    @activity.defn(name="cancel_task")
    def cancel_task(self, arg: CancelTaskIn) -> Done:
        self.runs.cancel_task(_ctx(), UUID(arg.task_id), arg.reason)
        return Done()

    def all(self) -> list[Any]:
        return [
            self.plan,
            self.begin_run,
            self.enter_stage,
            self.finish_stage,
            self.finish,
            self.cancel_task,
        ]
