"""The commands that move a task through its statuses: users cancel and retry it through
its path; dispatchers (and the timeout enforcer) act on it by id, fenced by the attempt.

A claim is an ordinary write of the task's next version: of two claimers of one queued
task, the store commits one and the other, run again on what is now stored, is refused
(409 naming the status): exactly one claimer wins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from domain.core.context import CommandContext, CommandResult
from domain.core.errors import InvalidInput, NotFound
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tasks.submission import validate_input, validate_reason
from domain.tasks.task import Task, task_id_of
from domain.tenancy.roles import Action
from domain.tenancy.scope import TenancyScope

Path = tuple[str, str, str, str]  # org, team, workspace, project refs


def _json(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be a JSON object", field=field)
    try:
        return validate_input(value)
    except InvalidInput as exc:
        raise InvalidInput(exc.message.replace("input", field), field=field) from None


def _dispatcher(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 200:
        raise InvalidInput("dispatcher_id must be 1-200 characters", field="dispatcher_id")
    return value


@with_read_sessions
class TaskLifecycle:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.scope = TenancyScope(store)

    # -- by path (users) ---------------------------------------------------------------
    @reads_only
    def find(self, ctx: CommandContext, action: Action, path: Path, ref: str) -> Task:
        chain = self.scope.locate(ctx, action, *path)
        assert chain.project is not None
        task_id = task_id_of(ref)
        task = self.store.find(task_id, Task) if task_id else None
        if task is None or task.project_id != chain.project.id:
            raise NotFound(f"task {ref!r} not found")
        return task

    def cancel(
        self, ctx: CommandContext, path: Path, ref: str, reason: str | None = None
    ) -> CommandResult:
        task = self.find(ctx, Action.TASK_CANCEL, path, ref)
        task.cancel(validate_reason(reason, "cancelled by user"), meta=self._meta(ctx, task))
        return self._record(task)

    def retry(
        self, ctx: CommandContext, path: Path, ref: str, reason: str | None = None
    ) -> CommandResult:
        task = self.find(ctx, Action.TASK_RETRY, path, ref)
        task.retry(validate_reason(reason, "retried by user"), meta=self._meta(ctx, task))
        return self._record(task)

    @reads_only
    def history(
        self, ctx: CommandContext, path: Path, ref: str
    ) -> tuple[Task, list[DomainEventProtocol[UUID]]]:
        task = self.find(ctx, Action.HISTORY_READ, path, ref)
        return task, self.store.history(task.id)

    # -- by id (dispatchers, agents' reports, the timeout enforcer) ----------------------
    def queue(self, ctx: CommandContext, task_id: UUID, reason: str) -> CommandResult:
        return self._act(ctx, task_id, lambda t, m: t.queue(reason, meta=m))

    def claim(
        self, ctx: CommandContext, task_id: UUID, dispatcher_id: str, attempt: int
    ) -> CommandResult:
        dispatcher = _dispatcher(dispatcher_id)
        return self._act(ctx, task_id, lambda t, m: t.claim(dispatcher, attempt, meta=m))

    def wait(self, ctx: CommandContext, task_id: UUID, attempt: int, reason: str) -> CommandResult:
        """Why a claimed attempt cannot start yet; recorded only when the reason changes."""
        why = validate_reason(reason, "waiting")

        def wait(task: Task, meta: Any) -> None:
            task.wait(attempt, why, meta=meta)

        return self._act(ctx, task_id, wait)

    def start(self, ctx: CommandContext, task_id: UUID, attempt: int) -> CommandResult:
        return self._act(ctx, task_id, lambda t, m: t.start(attempt, meta=m))

    def report_progress(
        self, ctx: CommandContext, task_id: UUID, attempt: int, progress: object
    ) -> CommandResult:
        clean = _json(progress, "progress")
        return self._act(ctx, task_id, lambda t, m: t.report_progress(attempt, clean, meta=m))

    def succeed(
        self, ctx: CommandContext, task_id: UUID, attempt: int, result: object
    ) -> CommandResult:
        clean = _json(result, "result")
        return self._act(ctx, task_id, lambda t, m: t.succeed(attempt, clean, meta=m))

    def fail(
        self, ctx: CommandContext, task_id: UUID, attempt: int, error: object
    ) -> CommandResult:
        clean = _json(error, "error")
        return self._act(ctx, task_id, lambda t, m: t.fail(attempt, clean, meta=m))

    def time_out(self, ctx: CommandContext, task_id: UUID, attempt: int) -> CommandResult:
        return self._act(ctx, task_id, lambda t, m: t.time_out(attempt, meta=m))

    def confirm_cancelled(self, ctx: CommandContext, task_id: UUID, attempt: int) -> CommandResult:
        return self._act(ctx, task_id, lambda t, m: t.confirm_cancelled(attempt, meta=m))

    def requeue_lost(
        self, ctx: CommandContext, task_id: UUID, attempt: int, reason: str = "dispatcher lost"
    ) -> CommandResult:
        why = validate_reason(reason, "dispatcher lost")
        return self._act(ctx, task_id, lambda t, m: t.requeue_lost(attempt, why, meta=m))

    def _act(
        self, ctx: CommandContext, task_id: UUID, command: Callable[[Task, Any], None]
    ) -> CommandResult:
        task = self.store.find(task_id, Task)
        if task is None:
            raise NotFound("task not found")
        chain = self.scope.resolve.chain(
            str(task.organization_id),
            str(task.team_id),
            str(task.workspace_id),
            str(task.project_id),
            visible=lambda org, ref: self.scope.access.see(ctx, org, ref),
        )
        self.scope.access.require(ctx, Action.TASK_DISPATCH, chain)
        command(task, self._meta(ctx, task))
        return self._record(task)

    def _meta(self, ctx: CommandContext, task: Task) -> Any:
        return ctx.meta(task.organization_id)

    def _record(self, task: Task) -> CommandResult:
        return CommandResult.of(task, self.store.record(task))
