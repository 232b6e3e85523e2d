"""One claimed attempt, from launch to outcome: start it on the runtime, report `start`,
then the runtime's final state as succeed / fail / time_out / confirm_cancelled.

Reports go through a `Reporter`: the dispatcher's own through the dispatcher API (as
itself), the sweepers' server-side enforcement (lost dispatchers, overdue attempts) through
the task use cases as the system. A report the task refuses (409: the attempt is no longer
current, or the task moved on, e.g. timed out by the server) is logged and dropped: the
fencing decides, not us.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol
from uuid import UUID

from domain.core.context import system_context
from domain.core.errors import Conflict
from domain.tasks.lifecycle import TaskLifecycle
from workers.runtimes.interface import Exited, Killed, Outcome, Runtime, RuntimeHandle, outcome_of

log = logging.getLogger(__name__)


class Reporter(Protocol):
    async def report(
        self, what: str, task_id: UUID, attempt: int, detail: dict[str, Any] | None = None
    ) -> bool: ...


class SystemReporter:
    """The task use cases in this process, as the system: for the sweepers only."""

    def __init__(self, lifecycle: TaskLifecycle) -> None:
        self.lifecycle = lifecycle

    async def report(self, what: str, task_id: UUID, attempt: int, detail: Any = None) -> bool:
        command: Callable[..., Any] = getattr(self.lifecycle, what)
        args = () if detail is None else (detail,)
        try:
            await asyncio.to_thread(command, system_context(), task_id, attempt, *args)
        except Conflict as exc:
            log.info("task %s: %s refused: %s", task_id, what, exc)
            return False
        return True


async def follow_attempt(
    reporter: Reporter, runtime: Runtime, task_id: UUID, attempt: int, handle: RuntimeHandle
) -> None:
    """Report the attempt's outcome once the runtime says it ended."""
    async for change in runtime.watch(handle):
        if not isinstance(change, Exited | Killed):
            continue
        outcome, why = outcome_of(change)
        if outcome is Outcome.SUCCEEDED:
            await reporter.report("succeed", task_id, attempt, {"exit_code": 0})
        elif outcome is Outcome.FAILED:
            error: dict[str, Any] = {"message": why or "failed"}
            if isinstance(change, Exited):
                error["exit_code"] = change.code
            await reporter.report("fail", task_id, attempt, error)
        elif outcome is Outcome.TIMED_OUT:
            await reporter.report("time_out", task_id, attempt)
        else:  # stopped: by a cancel (or the server's timeout, which then refuses this)
            await reporter.report("confirm_cancelled", task_id, attempt)
        return
