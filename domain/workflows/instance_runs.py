"""Use cases the instance's Temporal workflow runs through its activities (as the platform,
by id): read the plan, begin a run, enter a stage (an agent_task stage submits its task),
record a stage's outcome, finish the instance, cancel a stage's task.

Each is safe to run again (Temporal retries activities): ids are derived from instance,
run, stage and attempt, and a repeat finds what the first run recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.core.context import CommandContext
from domain.core.errors import Conflict, TransitionRefused
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import run_in_session
from domain.tasks.service import TaskService
from domain.tasks.status import TaskStatus
from domain.tasks.submit import Submission
from domain.tasks.task import Task
from domain.workflows.instance import WorkflowInstance
from domain.workflows.instance_inputs import ordered_stages, render_brief, stage_inputs
from domain.workflows.instance_ports import TemplateVersions
from domain.workflows.stage_execution import (
    WorkflowStageExecution,
    execution_id,
    stage_task_id,
)


@dataclass(frozen=True)
class Plan:
    instance_id: UUID
    run: int
    temporal_wf_id: str
    stages: list[dict[str, Any]]
    from_stage: str | None
    status: str


class InstanceRuns:
    def __init__(self, store: EventStore, templates: TemplateVersions, tasks: TaskService) -> None:
        self.store = store
        self.templates = templates
        self.tasks = tasks

    def _instance(self, instance_id: UUID) -> WorkflowInstance:
        return self.store.load(instance_id, WorkflowInstance, "workflow instance")

    def plan(self, ctx: CommandContext, instance_id: UUID) -> Plan:
        def run() -> Plan:
            instance = self._instance(instance_id)
            content = self.templates.pinned(instance.template_id, instance.template_version)
            return Plan(
                instance.id,
                instance.run,
                instance.temporal_wf_id,
                ordered_stages(content.content),
                self._resume_from(instance),
                instance.status,
            )

        return run_in_session(self.store, ctx, run, may_write=False)

    def _resume_from(self, instance: WorkflowInstance) -> str | None:
        """A retried instance starts again at the stage that failed (kept from its last run)."""
        if instance.run == 1:
            return None
        for event in reversed(self.store.history(instance.id)):
            if type(event).__name__ == "RetryRequested":
                return str(event.from_stage)  # type: ignore[attr-defined]
        return None

    def begin_run(self, ctx: CommandContext, instance_id: UUID, run: int) -> None:
        self._on_instance(ctx, instance_id, lambda i, m: i.begin_run(run, m))

    def enter_stage(
        self, ctx: CommandContext, instance_id: UUID, run: int, stage: dict[str, Any], attempt: int
    ) -> UUID | None:
        """Record the stage's execution (and submit its task): the task's id, if it has one."""

        def go() -> UUID | None:
            instance = self._instance(instance_id)
            meta = ctx.meta(instance.organization_id)
            name, kind = stage["name"], stage["stage_type"]
            key = execution_id(instance_id, run, name, attempt)
            existing = self.store.find(key, WorkflowStageExecution)
            task_id = (
                stage_task_id(instance_id, run, name, attempt) if kind == "agent_task" else None
            )
            if existing is None:
                execution = WorkflowStageExecution(
                    workflow_instance_id=instance_id,
                    run=run,
                    stage_id=name,
                    attempt_number=attempt,
                    organization_id=instance.organization_id,
                    project_id=instance.project_id,
                    stage_type=kind,
                    task_id=task_id,
                    meta=meta,
                )
                instance.enter_stage(run, name, attempt, meta)
                self.store.record(execution, instance)
            if task_id is not None and self.store.find(task_id, Task) is None:
                self.tasks.submit(ctx, _path(instance), _submission(instance, stage, task_id))
            return task_id

        return run_in_session(self.store, ctx, go)

    def finish_stage(
        self,
        ctx: CommandContext,
        instance_id: UUID,
        run: int,
        stage: str,
        attempt: int,
        status: str,
        output: dict[str, Any] | None,
        error: dict[str, Any] | None,
        *,
        skipped: bool = False,
    ) -> None:
        """The attempt's outcome; a succeeded (or skipped) stage's output is the instance's
        stage result, which later stages' inputs read."""

        def go() -> None:
            instance = self._instance(instance_id)
            meta = ctx.meta(instance.organization_id)
            execution = self.store.load(
                execution_id(instance_id, run, stage, attempt), WorkflowStageExecution
            )
            changed: list[Any] = (
                [execution] if execution.finish(status, output, error, meta) else []
            )
            if status == "succeeded" or skipped:
                result = "succeeded" if status == "succeeded" else "skipped"
                instance.record_stage_result(run, stage, result, output or {}, meta)
                if instance.pending_events:
                    changed.append(instance)
            if changed:
                self.store.record(*changed)

        run_in_session(self.store, ctx, go)

    def finish(
        self,
        ctx: CommandContext,
        instance_id: UUID,
        run: int,
        status: str,
        reason: str | None,
        stage: str | None,
    ) -> None:
        self._on_instance(ctx, instance_id, lambda i, m: i.finish(run, status, reason, stage, m))

    def cancel_task(self, ctx: CommandContext, task_id: UUID, reason: str) -> None:
        def go() -> None:
            task = self.store.find(task_id, Task)
            if task is None or TaskStatus(task.status).is_terminal:
                return
            try:
                task.cancel(reason, meta=ctx.meta(task.organization_id))
            except TransitionRefused:
                return
            if task.pending_events:
                self.store.record(task)

        run_in_session(self.store, ctx, go)

    def _on_instance(self, ctx: CommandContext, instance_id: UUID, change: Any) -> None:
        def go() -> None:
            instance = self._instance(instance_id)
            try:
                change(instance, ctx.meta(instance.organization_id))
            except Conflict:
                return  # a run that was superseded (retried) records nothing more
            if instance.pending_events:
                self.store.record(instance)

        run_in_session(self.store, ctx, go)


def _path(instance: WorkflowInstance) -> tuple[str, str, str, str]:
    return (
        str(instance.organization_id),
        str(instance.team_id),
        str(instance.workspace_id),
        str(instance.project_id),
    )


def _submission(instance: WorkflowInstance, stage: dict[str, Any], task_id: UUID) -> Submission:
    context, results = instance.input_context, instance.stage_results
    definition = stage.get("agent_definition") or {}
    return Submission(
        brief=render_brief(stage.get("brief") or "", context, results),
        agent_image=stage.get("agent_image"),
        agent_definition=definition.get("guid"),
        agent_definition_version=definition.get("version") if definition else None,
        skills=[{"ref": p["guid"], "version": p["version"]} for p in stage.get("skills") or []],
        configs=[{"ref": p["guid"], "version": p["version"]} for p in stage.get("configs") or []],
        secrets=stage.get("secrets") or None,
        input=stage_inputs(stage, context, results),
        timeout_seconds=stage.get("timeout_seconds"),
        name=f"{instance.slug} {stage['name']}"[:200],
        task_id=task_id,
        workflow_id=instance.temporal_wf_id,
    )
