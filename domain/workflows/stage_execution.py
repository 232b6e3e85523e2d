"""WorkflowStageExecution: one attempt of one stage of an instance's run.

Its id (and its task's id) is derived from instance, run, stage and attempt, so an activity
that Temporal runs again finds the execution it already recorded instead of making another.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import AuditedAggregate
from domain.core.context import Meta

_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.dev/workflow-stage-executions")
RUNNING = "running"
OUTCOMES = ("succeeded", "failed", "timed_out", "cancelled", "rejected", "skipped")


def execution_key(instance_id: UUID, run: int, stage: str, attempt: int) -> str:
    return f"{instance_id}/{run}/{stage}/{attempt}"


def execution_id(instance_id: UUID, run: int, stage: str, attempt: int) -> UUID:
    return uuid5(_NAMESPACE, execution_key(instance_id, run, stage, attempt))


def stage_task_id(instance_id: UUID, run: int, stage: str, attempt: int) -> UUID:
    return uuid5(_NAMESPACE, execution_key(instance_id, run, stage, attempt) + "/task")


class WorkflowStageExecution(AuditedAggregate):
    @staticmethod
    def create_id(workflow_instance_id: UUID, run: int, stage_id: str, attempt_number: int) -> UUID:
        return execution_id(workflow_instance_id, run, stage_id, attempt_number)

    @event("Started")
    def __init__(
        self,
        workflow_instance_id: UUID,
        run: int,
        stage_id: str,
        attempt_number: int,
        organization_id: UUID,
        project_id: UUID,
        stage_type: str,
        task_id: UUID | None,
        meta: Meta,
    ) -> None:
        self.workflow_instance_id = workflow_instance_id
        self.run = run
        self.stage_id = stage_id
        self.attempt_number = attempt_number
        self.organization_id = organization_id
        self.project_id = project_id
        self.stage_type = stage_type
        self.task_id = task_id
        self.status = RUNNING
        self.output: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None

    def finish(
        self, status: str, output: dict[str, Any] | None, error: dict[str, Any] | None, meta: Meta
    ) -> bool:
        """False when already finished (an activity retried): the first outcome stands."""
        if self.status != RUNNING:
            return False
        self._finished(status=status, output=output, error=error, meta=meta)
        return True

    @event("Finished")
    def _finished(
        self,
        status: str,
        output: dict[str, Any] | None,
        error: dict[str, Any] | None,
        meta: Meta,
    ) -> None:
        self.status = status
        self.output = output
        self.error = error
