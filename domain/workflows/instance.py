"""WorkflowInstance: one run of a published workflow template's pinned version in a project.

Its Temporal workflow id is derived from its guid (and the run: a `:retry` is a new run of
the same instance), so a start that is retried never makes a second workflow. What people
and outside systems ask of a running instance (a signal, an approval, a cancel) is recorded
here first as `Commanded`; Signalyard's own system route carries it to the workflow.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.core.aggregate import CoreAggregate
from domain.core.context import Meta
from domain.core.errors import Conflict

PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "pending",
    "running",
    "succeeded",
    "failed",
    "cancelled",
)
FINISHED = frozenset({SUCCEEDED, FAILED, CANCELLED})
COMMANDS = ("signal", "cancel", "approve", "reject")


def instance_slug(instance_id: UUID) -> str:
    return f"wfi-{instance_id.hex}"


def instance_id_of(ref: str) -> UUID | None:
    hexed = ref[4:] if ref.startswith("wfi-") else ref
    try:
        return UUID(hexed) if len(hexed) in (32, 36) else None
    except ValueError:
        return None


def temporal_wf_id(instance_id: UUID, run: int = 1) -> str:
    base = f"workflow-instance-{instance_id}"
    return base if run == 1 else f"{base}-run-{run}"


class WorkflowInstance(CoreAggregate):
    snapshot_interval = 50
    UPDATABLE = frozenset({"name", "description"})

    @event("Requested")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - chosen up front: the workflow id is derived from it
        organization_id: UUID,
        team_id: UUID,
        workspace_id: UUID,
        project_id: UUID,
        name: str,
        slug: str,
        description: str,
        template_id: UUID,
        template_version: int,
        temporal_wf_id: str,
        input_context: dict[str, Any],
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, description, meta)
        self.organization_id = organization_id
        self.team_id = team_id
        self.workspace_id = workspace_id
        self.project_id = project_id
        self.template_id = template_id
        self.template_version = template_version
        self.temporal_wf_id = temporal_wf_id
        self.input_context = input_context
        self.status = PENDING
        self.run = 1
        self.stage_results: dict[str, dict[str, Any]] = {}
        self.current_stage: str | None = None
        self.failed_stage: str | None = None
        self.reason: str | None = None

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    # -- what the workflow's activities record -------------------------------------------
    def begin_run(self, run: int, meta: Meta) -> bool:
        """False when this run has already begun (an activity retried)."""
        if run != self.run:
            raise Conflict(f"run {run} is not the instance's current run {self.run}")
        if self.status != PENDING:
            return False
        self._run_started(run=run, temporal_wf_id=self.temporal_wf_id, meta=meta)
        return True

    def enter_stage(self, run: int, stage: str, attempt: int, meta: Meta) -> None:
        if run == self.run and not self.is_finished:
            self._stage_entered(run=run, stage=stage, attempt=attempt, meta=meta)

    def record_stage_result(
        self, run: int, stage: str, status: str, output: dict[str, Any], meta: Meta
    ) -> None:
        if run == self.run and self.stage_results.get(stage) != {
            "status": status,
            "output": output,
        }:
            self._stage_result_recorded(
                run=run, stage=stage, status=status, output=output, meta=meta
            )

    def finish(
        self, run: int, status: str, reason: str | None, stage: str | None, meta: Meta
    ) -> bool:
        if run != self.run or self.is_finished:
            return False
        self._finished(status=status, reason=reason, failed_stage=stage, meta=meta)
        return True

    # -- what users ask of it ---------------------------------------------------------------
    def command(
        self,
        command: str,
        name: str | None,
        payload: dict[str, Any],
        comment: str | None,
        stage: str | None,
        meta: Meta,
    ) -> None:
        if self.is_finished:
            raise Conflict(f"the instance is {self.status}", field="status")
        self._commanded(
            command=command,
            name=name,
            payload=payload,
            comment=comment,
            stage=stage,
            temporal_wf_id=self.temporal_wf_id,
            meta=meta,
        )

    def retry(self, meta: Meta) -> None:
        if self.status != FAILED or self.failed_stage is None:
            raise Conflict("only a failed instance can be retried", field="status")
        run = self.run + 1
        self._retry_requested(
            run=run,
            temporal_wf_id=temporal_wf_id(self.id, run),
            from_stage=self.failed_stage,
            meta=meta,
        )

    # -- events ---------------------------------------------------------------------------
    @event("RunStarted")
    def _run_started(self, run: int, temporal_wf_id: str, meta: Meta) -> None:
        self.status = RUNNING

    @event("StageEntered")
    def _stage_entered(self, run: int, stage: str, attempt: int, meta: Meta) -> None:
        self.current_stage = stage

    @event("StageResultRecorded")
    def _stage_result_recorded(
        self, run: int, stage: str, status: str, output: dict[str, Any], meta: Meta
    ) -> None:
        self.stage_results = {**self.stage_results, stage: {"status": status, "output": output}}

    @event("Finished")
    def _finished(
        self, status: str, reason: str | None, failed_stage: str | None, meta: Meta
    ) -> None:
        self.status = status
        self.reason = reason
        self.failed_stage = failed_stage if status == FAILED else None
        self.current_stage = None

    @event("Commanded")
    def _commanded(
        self,
        command: str,
        name: str | None,
        payload: dict[str, Any],
        comment: str | None,
        stage: str | None,
        temporal_wf_id: str,
        meta: Meta,
    ) -> None:
        pass

    @event("RetryRequested")
    def _retry_requested(self, run: int, temporal_wf_id: str, from_stage: str, meta: Meta) -> None:
        self.run = run
        self.temporal_wf_id = temporal_wf_id
        self.status = PENDING
        self.reason = None
