"""The workflow that runs one WorkflowInstance: its stages in order, each attempt recorded by
activities in Signalyard's store. Deterministic: no I/O, no clock but `workflow.now()`, and
it imports only temporalio and `schemas`.

It hears of the world through signals, all routed by Signalyard's system routes:
`start` (the instance was requested or retried), `task_outcome` (a stage task ended),
`command` (a person signalled, approved, rejected or cancelled it); any other signal name is
an outside event (a user's route, or `:signal`) that a wait_for_event stage may wait for.

Changing this code changes what replays of running instances do: guard every change with
`workflow.patched("<change-id>")` (see README, "Workflow code changes"), and keep the saved
histories in tests/replay/histories replaying.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy

with workflow.unsafe.imports_passed_through():
    from schemas.workflow_runs import (
        WORKFLOW_TYPE,
        CancelTaskIn,
        EnterStageIn,
        EnterStageOut,
        FinishIn,
        FinishStageIn,
        PlanIn,
        PlanOut,
        RunIn,
        StagePlan,
    )

ACTIVITY_TIMEOUT = timedelta(seconds=30)
ACTIVITY_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=10))
# A task is given its own timeout by the runtime; the stage waits this much longer for the
# outcome to be routed before it calls the stage timed out.
OUTCOME_GRACE_SECONDS = 60


class Cancelled(Exception):
    pass


@workflow.defn(name=WORKFLOW_TYPE)
class InstanceWorkflow:
    def __init__(self) -> None:
        self.started: dict[str, Any] | None = None
        self.outcomes: dict[str, dict[str, Any]] = {}
        self.decisions: list[dict[str, Any]] = []
        self.events: dict[str, list[Any]] = {}
        self.cancel: dict[str, Any] | None = None

    # -- signals -------------------------------------------------------------------------
    @workflow.signal(name="start")
    def on_start(self, payload: Any) -> None:
        if self.started is None and isinstance(payload, dict):
            self.started = payload

    @workflow.signal(name="task_outcome")
    def on_task_outcome(self, payload: Any) -> None:
        if isinstance(payload, dict) and isinstance(payload.get("task_id"), str):
            self.outcomes.setdefault(payload["task_id"], payload)

    @workflow.signal(name="command")
    def on_command(self, payload: Any) -> None:
        if not isinstance(payload, dict):
            return
        command = payload.get("command")
        if command == "cancel" and self.cancel is None:
            self.cancel = payload
        elif command in ("approve", "reject"):
            self.decisions.append(payload)
        elif command == "signal" and isinstance(payload.get("name"), str):
            self.events.setdefault(payload["name"], []).append(payload.get("payload"))

    @workflow.signal(dynamic=True)
    def on_event(self, name: str, args: Sequence[RawValue]) -> None:
        value = workflow.payload_converter().from_payload(args[0].payload) if args else None
        self.events.setdefault(name, []).append(value)

    # -- the run -------------------------------------------------------------------------
    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.started is not None)
        assert self.started is not None
        instance_id = str(self.started["instance_id"])
        plan: PlanOut = await self._act("plan", PlanIn(instance_id), PlanOut)
        if plan.status in ("succeeded", "failed", "cancelled"):
            return plan.status
        await self._act("begin_run", RunIn(instance_id, plan.run))
        compensations = {
            s.on_failure.compensation_stage for s in plan.stages if s.on_failure.compensation_stage
        }
        names = [s.name for s in plan.stages]
        first = names.index(plan.from_stage) if plan.from_stage in names else 0
        by_name = {s.name: s for s in plan.stages}
        for stage in plan.stages[first:]:
            if stage.name in compensations:
                continue  # runs only when the stage it compensates for fails
            try:
                ok = await self._stage(instance_id, plan.run, stage)
            except Cancelled:
                return await self._finish(instance_id, plan.run, "cancelled", "cancelled", None)
            if ok:
                continue
            policy = stage.on_failure
            if policy.action == "compensate" and policy.compensation_stage in by_name:
                try:
                    await self._attempt(
                        instance_id, plan.run, by_name[policy.compensation_stage], 1
                    )
                except Cancelled:
                    return await self._finish(instance_id, plan.run, "cancelled", "cancelled", None)
            reason = f"stage {stage.name!r} failed"
            return await self._finish(instance_id, plan.run, "failed", reason, stage.name)
        return await self._finish(instance_id, plan.run, "succeeded", None, None)

    async def _stage(self, instance_id: str, run: int, stage: StagePlan) -> bool:
        """True when the stage succeeded or may be skipped; retries as its policy says."""
        policy = stage.on_failure
        attempts = max(1, policy.max_attempts) if policy.action == "retry" else 1
        for attempt in range(1, attempts + 1):
            status = await self._attempt(instance_id, run, stage, attempt)
            if status == "succeeded":
                return True
            if attempt < attempts and policy.backoff_seconds > 0:
                await self._sleep(policy.backoff_seconds * 2 ** (attempt - 1))
        return policy.action == "skip"

    async def _attempt(self, instance_id: str, run: int, stage: StagePlan, attempt: int) -> str:
        entered: EnterStageOut = await self._act(
            "enter_stage", EnterStageIn(instance_id, run, stage, attempt), EnterStageOut
        )
        finish = FinishStageIn(instance_id, run, stage.name, attempt, "failed")
        if entered.error is not None:
            finish.error = entered.error
        elif stage.stage_type == "agent_task" and entered.task_id is not None:
            await self._await_task(entered.task_id, stage, finish)
        elif stage.stage_type == "approval":
            await self._await_decision(stage, finish)
        elif stage.stage_type == "wait_for_event":
            await self._await_event(stage, finish)
        else:
            finish.error = {"message": f"unknown stage type {stage.stage_type!r}"}
        policy = stage.on_failure
        finish.skipped = finish.status != "succeeded" and policy.action == "skip"
        await self._act("finish_stage", finish)
        if finish.status == "cancelled" and self.cancel is not None:
            raise Cancelled()
        return finish.status

    async def _await_task(self, task_id: str, stage: StagePlan, finish: FinishStageIn) -> None:
        got = await self._wait(
            lambda: task_id in self.outcomes, stage.timeout_seconds + OUTCOME_GRACE_SECONDS
        )
        if got == "cancel":
            await self._act("cancel_task", CancelTaskIn(task_id, "the workflow was cancelled"))
            finish.status = "cancelled"
            return
        if got == "timeout":
            await self._act("cancel_task", CancelTaskIn(task_id, "the stage timed out"))
            finish.status, finish.error = "timed_out", {"message": "no task outcome in time"}
            return
        outcome = self.outcomes[task_id]
        finish.status = str(outcome.get("status") or "failed")
        if finish.status == "succeeded":
            finish.output = outcome.get("result") or {}
        else:
            finish.error = outcome.get("error") or {"message": outcome.get("reason")}

    async def _await_decision(self, stage: StagePlan, finish: FinishStageIn) -> None:
        def decided() -> bool:
            return any(d.get("stage") == stage.name for d in self.decisions)

        got = await self._wait(decided, stage.timeout_seconds)
        if got != "done":
            finish.status = "cancelled" if got == "cancel" else "timed_out"
            return
        decision = next(d for d in self.decisions if d.get("stage") == stage.name)
        self.decisions.remove(decision)
        verdict = {"by": decision.get("actor"), "comment": decision.get("comment")}
        if decision.get("command") == "approve":
            finish.status, finish.output = "succeeded", {"approved": True, **verdict}
        else:
            finish.status, finish.error = "rejected", {"approved": False, **verdict}

    async def _await_event(self, stage: StagePlan, finish: FinishStageIn) -> None:
        name = stage.signal or stage.name
        got = await self._wait(lambda: bool(self.events.get(name)), stage.timeout_seconds)
        if got != "done":
            finish.status = "cancelled" if got == "cancel" else "timed_out"
            return
        value = self.events[name].pop(0)
        finish.status, finish.output = "succeeded", {"signal": name, "payload": value}

    # -- helpers -------------------------------------------------------------------------
    async def _wait(self, condition: Any, timeout_seconds: float) -> str:
        try:
            await workflow.wait_condition(
                lambda: self.cancel is not None or condition(),
                timeout=timedelta(seconds=timeout_seconds),
            )
        except TimeoutError:
            return "timeout"
        return "cancel" if self.cancel is not None else "done"

    async def _sleep(self, seconds: float) -> None:
        try:
            await workflow.wait_condition(
                lambda: self.cancel is not None, timeout=timedelta(seconds=seconds)
            )
        except TimeoutError:
            return
        raise Cancelled()

    async def _finish(
        self, instance_id: str, run: int, status: str, reason: str | None, stage: str | None
    ) -> str:
        await self._act("finish", FinishIn(instance_id, run, status, reason, stage))
        return status

    async def _act(self, name: str, arg: Any, result_type: type | None = None) -> Any:
        return await workflow.execute_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
