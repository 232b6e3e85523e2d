"""Task: one agent run in a project. Every transition of its status is an event that names
the new status, the reason and the attempt; the attempt number fences late reports.

What it runs with is pinned at submission (skills, configs, tools and the agent definition
as {guid, version}; the runtime target as resolved), so a later version never changes it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import event

from domain.core.aggregate import CoreAggregate
from domain.core.context import Meta
from domain.core.errors import StaleAttempt, TransitionRefused
from domain.core.publication import declare_publication
from domain.tasks.status import TaskStatus, require_allowed

Pin = dict[str, Any]  # {"guid": str, "version": int}


def task_slug(task_id: UUID) -> str:
    """Derived from the guid, so unique with no claim to record."""
    return f"task-{task_id.hex}"


def task_id_of(ref: str) -> UUID | None:
    """A task is named by its guid or its slug (`task-<hex of the guid>`)."""
    hexed = ref[5:] if ref.startswith("task-") else ref
    try:
        return UUID(hexed) if len(hexed) in (32, 36) else None
    except ValueError:
        return None


class Task(CoreAggregate):
    snapshot_interval = 50  # progress reports make long-running tasks long streams
    # Defaults for tasks (and snapshots) from before these existed; not annotated, as the
    # annotations of an aggregate are its fields. Replaced by events, never mutated.
    secrets = cast("list[dict[str, Any]]", [])
    waiting_reason = cast("str | None", None)
    workflow_id = cast("str | None", None)  # a task a workflow stage submitted names it

    @event("Submitted")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - chosen up front: a workflow stage derives its task's id
        organization_id: UUID,
        team_id: UUID,
        workspace_id: UUID,
        project_id: UUID,
        name: str,
        slug: str,
        description: str,
        agent_image: str,
        brief_key: str,
        callback_url: str | None,
        skills: list[Pin],
        configs: list[Pin],
        tools: list[Pin],
        agent_definition: Pin | None,
        runtime_target: dict[str, Any],
        input: dict[str, Any],
        timeout_seconds: int,
        resources: dict[str, str],
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, description, meta)
        self.organization_id = organization_id
        self.team_id = team_id
        self.workspace_id = workspace_id
        self.project_id = project_id
        self.agent_image = agent_image
        self.brief_key = brief_key
        self.callback_url = callback_url
        self.skills, self.configs, self.tools = skills, configs, tools
        self.agent_definition = agent_definition
        self.runtime_target = runtime_target
        self.input = input
        self.timeout_seconds = timeout_seconds
        self.resources = resources
        self.status = TaskStatus.PENDING.value  # plain str: snapshots store it as one
        self.attempt = 1
        self.dispatcher_id: str | None = None
        self.cancel_requested = False
        self.result: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None
        self.progress: dict[str, Any] | None = None
        self.reason = "submitted"
        self.deadline_at: datetime | None = None
        # The Temporal workflow a stage's task reports to: its outcome events carry it, so
        # Signalyard's system route can signal that workflow (None: not a workflow's task).
        self.workflow_id = None

    # -- checks --------------------------------------------------------------------------
    def check_attempt(self, attempt: int) -> None:
        if attempt != self.attempt:
            raise StaleAttempt(
                f"attempt {attempt} is not the task's current attempt {self.attempt}",
                current_attempt=self.attempt,
            )

    def bind_to_workflow(self, workflow_id: str, meta: Meta) -> None:
        if self.workflow_id is not None or self.status != TaskStatus.PENDING:
            raise TransitionRefused(
                "only a new task can be bound to a workflow", current_status=self.status
            )
        self._workflow_bound(workflow_id=workflow_id, meta=meta)

    def _live(self, command: str, attempt: int) -> None:
        self.check_attempt(attempt)
        require_allowed(command, self.status)

    # -- commands ------------------------------------------------------------------------
    def declare_secrets(self, secrets: list[dict[str, Any]], meta: Meta) -> None:
        """Which secrets its attempts get and how (names and delivery, never values)."""
        require_allowed("declare_secrets", self.status)
        self._secrets_declared(secrets=secrets, meta=meta)

    def wait(self, attempt: int, reason: str, meta: Meta) -> bool:
        """It cannot start yet (a secret backend or its runtime target is down): say why,
        once per change of reason. False (and no event) when the reason is the same."""
        self._live("wait", attempt)
        reason = reason[:500]
        if reason == self.waiting_reason:
            return False
        self._waiting(attempt=attempt, reason=reason, meta=meta)
        return True

    def queue(self, reason: str, meta: Meta) -> None:
        require_allowed("queue", self.status)
        self._queued(status=TaskStatus.QUEUED.value, attempt=self.attempt, reason=reason, meta=meta)

    def claim(self, dispatcher_id: str, attempt: int, meta: Meta) -> None:
        self._live("claim", attempt)
        deadline = datetime.now(tz=UTC) + timedelta(seconds=self.timeout_seconds)
        self._claimed(
            status=TaskStatus.DISPATCHED.value,
            attempt=attempt,
            dispatcher_id=dispatcher_id,
            deadline_at=deadline,
            reason=f"claimed by dispatcher {dispatcher_id}",
            meta=meta,
        )

    def start(self, attempt: int, meta: Meta) -> None:
        self._live("start", attempt)
        self._started(status=TaskStatus.RUNNING.value, attempt=attempt, reason="started", meta=meta)

    def report_progress(self, attempt: int, progress: dict[str, Any], meta: Meta) -> None:
        self._live("report_progress", attempt)
        self._progress_reported(attempt=attempt, progress=progress, meta=meta)

    def succeed(self, attempt: int, result: dict[str, Any], meta: Meta) -> None:
        self._live("succeed", attempt)
        self._succeeded(
            status=TaskStatus.SUCCEEDED.value,
            attempt=attempt,
            result=result,
            reason="succeeded",
            workflow_id=self.workflow_id,
            meta=meta,
        )

    def fail(self, attempt: int, error: dict[str, Any], meta: Meta) -> None:
        self._live("fail", attempt)
        reason = str(error.get("message") or "failed")[:500]
        self._failed(
            status=TaskStatus.FAILED.value,
            attempt=attempt,
            error=error,
            reason=reason,
            workflow_id=self.workflow_id,
            meta=meta,
        )

    def time_out(self, attempt: int, meta: Meta) -> None:
        self._live("time_out", attempt)
        self._timed_out(
            status=TaskStatus.TIMED_OUT.value,
            attempt=attempt,
            reason=f"no outcome within {self.timeout_seconds} s",
            workflow_id=self.workflow_id,
            meta=meta,
        )

    def cancel(self, reason: str, meta: Meta) -> None:
        """Not yet dispatched: cancelled at once. Live: the runtime is asked to stop it and
        confirms (`confirm_cancelled`); asking twice changes nothing."""
        require_allowed("cancel", self.status)
        if self.status in (TaskStatus.PENDING, TaskStatus.QUEUED):  # StrEnum == str
            self._cancelled(
                status=TaskStatus.CANCELLED.value,
                attempt=self.attempt,
                reason=reason,
                workflow_id=self.workflow_id,
                meta=meta,
            )
        elif not self.cancel_requested:
            self._cancel_requested(attempt=self.attempt, reason=reason, meta=meta)

    def confirm_cancelled(self, attempt: int, meta: Meta) -> None:
        self._live("confirm_cancelled", attempt)
        self._cancelled(
            status=TaskStatus.CANCELLED.value,
            attempt=attempt,
            reason=self.reason,
            workflow_id=self.workflow_id,
            meta=meta,
        )

    def retry(self, reason: str, meta: Meta) -> None:
        require_allowed("retry", self.status)
        self._requeued(
            status=TaskStatus.QUEUED.value, attempt=self.attempt + 1, reason=reason, meta=meta
        )

    def requeue_lost(self, attempt: int, reason: str, meta: Meta) -> None:
        self._live("requeue_lost", attempt)
        self._requeued(
            status=TaskStatus.QUEUED.value, attempt=attempt + 1, reason=reason, meta=meta
        )

    # -- events (check before, mutate here: these bodies re-run on every replay) --------
    def _move(self, status: str, attempt: int, reason: str) -> None:
        self.status = status
        self.attempt = attempt
        self.reason = reason
        self.waiting_reason = None  # whatever it waited for, it has moved on

    @event("SecretsDeclared")
    def _secrets_declared(self, secrets: list[dict[str, Any]], meta: Meta) -> None:
        self.secrets = secrets

    @event("Waiting")
    def _waiting(self, attempt: int, reason: str, meta: Meta) -> None:
        self.waiting_reason = reason

    @event("Queued")
    def _queued(self, status: str, attempt: int, reason: str, meta: Meta) -> None:
        self._move(status, attempt, reason)

    @event("Claimed")
    def _claimed(
        self,
        status: str,
        attempt: int,
        dispatcher_id: str,
        deadline_at: datetime,
        reason: str,
        meta: Meta,
    ) -> None:
        self._move(status, attempt, reason)
        self.dispatcher_id = dispatcher_id
        self.deadline_at = deadline_at

    @event("Started")
    def _started(self, status: str, attempt: int, reason: str, meta: Meta) -> None:
        self._move(status, attempt, reason)

    @event("ProgressReported")
    def _progress_reported(self, attempt: int, progress: dict[str, Any], meta: Meta) -> None:
        self.progress = progress

    @event("WorkflowBound")
    def _workflow_bound(self, workflow_id: str, meta: Meta) -> None:
        self.workflow_id = workflow_id

    @event("Succeeded")
    def _succeeded(
        self,
        status: str,
        attempt: int,
        result: dict[str, Any],
        reason: str,
        workflow_id: str | None,
        meta: Meta,
    ) -> None:
        self._move(status, attempt, reason)
        self.result = result

    @event("Failed")
    def _failed(
        self,
        status: str,
        attempt: int,
        error: dict[str, Any],
        reason: str,
        workflow_id: str | None,
        meta: Meta,
    ) -> None:
        self._move(status, attempt, reason)
        self.error = error

    @event("TimedOut")
    def _timed_out(
        self, status: str, attempt: int, reason: str, workflow_id: str | None, meta: Meta
    ) -> None:
        self._move(status, attempt, reason)

    @event("CancelRequested")
    def _cancel_requested(self, attempt: int, reason: str, meta: Meta) -> None:
        self.cancel_requested = True
        self.reason = reason

    @event("Cancelled")
    def _cancelled(
        self, status: str, attempt: int, reason: str, workflow_id: str | None, meta: Meta
    ) -> None:
        self._move(status, attempt, reason)

    @event("Requeued")
    def _requeued(self, status: str, attempt: int, reason: str, meta: Meta) -> None:
        """A new attempt: what the last one held (dispatcher, outcome) is let go."""
        self._move(status, attempt, reason)
        self.dispatcher_id = None
        self.deadline_at = None
        self.cancel_requested = False
        self.result = self.error = self.progress = None


def _add_workflow_id(state: dict[str, Any]) -> None:
    state["workflow_id"] = None  # outcomes recorded before workflows reported to none


# Outcome events gained `workflow_id` (version 2): older stored ones are upcast on load.
for _outcome in ("Succeeded", "Failed", "TimedOut", "Cancelled"):
    _cls = getattr(Task, _outcome)
    _cls.class_version = 2
    _cls.upcast_v1_v2 = staticmethod(_add_workflow_id)

# The brief's blob key names content in the blob store; the brief itself is not in the event.
declare_publication(
    Task.Submitted,  # type: ignore[attr-defined] # made by @event
    public={"brief_key"},
)
# Names of secrets and how they are delivered: never a value.
declare_publication(Task.SecretsDeclared, public={"secrets"})  # type: ignore[attr-defined]
