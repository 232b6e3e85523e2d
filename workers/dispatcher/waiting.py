"""Holding a claimed attempt back until it can start, saying why on the task.

The reason is recorded with the task's `wait` command, which writes an event only when the
reason changes (not once per try). Tries follow the backoff (its last step repeats) until
the condition holds, the attempt ends (timed out by the server, requeued: the command is
refused) or a cancel is asked for (then confirmed here).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from domain.core.context import system_context
from domain.core.errors import Conflict
from domain.tasks.lifecycle import TaskLifecycle
from domain.tasks.task import Task

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)


class NoLongerWanted(RuntimeError):
    """The attempt ended or was cancelled while it waited: it is not to be launched."""


class Waiting:
    def __init__(self, lifecycle: TaskLifecycle, backoff: Sequence[float] = BACKOFF_SECONDS):
        self.lifecycle = lifecycle
        self.backoff = tuple(backoff)

    async def pause(self, task: Task, reason: str, tries: int) -> None:
        """Record why (once per reason), then sleep the backoff's step for this try."""
        ctx = system_context()
        try:
            await asyncio.to_thread(self.lifecycle.wait, ctx, task.id, task.attempt, reason)
        except Conflict as exc:
            log.info("task %s attempt %d: no longer waits: %s", task.id, task.attempt, exc)
            raise NoLongerWanted(f"stopped waiting ({reason}): {exc}") from None
        current: Any = await asyncio.to_thread(self.lifecycle.store.find, task.id, Task)
        if current is not None and current.cancel_requested:
            await asyncio.to_thread(_confirm_cancelled, self.lifecycle, task.id, task.attempt)
            raise NoLongerWanted(f"cancelled while waiting ({reason})")
        await asyncio.sleep(self.backoff[min(tries, len(self.backoff) - 1)])


def _confirm_cancelled(lifecycle: TaskLifecycle, task_id: UUID, attempt: int) -> None:
    try:
        lifecycle.confirm_cancelled(system_context(), task_id, attempt)
    except Conflict:
        pass
