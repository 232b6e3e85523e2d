"""Schedules a task's callback when it reaches a terminal status: a durable consumer of the
task events shared by every dispatcher (each event goes to one of them), so a status
reached anywhere (a dispatcher's report, the server's timeout, a cancel of a queued task)
is called back. Scheduling is idempotent per (task, attempt, outcome): a redelivered event
finds the delivery already made."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol
from uuid import UUID

from domain.core.context import CommandContext, system_context
from domain.core.errors import Conflict, InvalidInput
from domain.plumbing.store import EventStore
from domain.tasks.task import Task
from schemas.cloudevents import CloudEvent

log = logging.getLogger(__name__)

TERMINAL_TYPES = {
    f"io.signalyard.task.{outcome}.v1": outcome
    for outcome in ("succeeded", "failed", "timed_out", "cancelled")
}
DURABLE = "task-callbacks"


class Scheduler(Protocol):
    def schedule(
        self,
        ctx: CommandContext,
        organization_id: UUID,
        subject_id: UUID,
        attempt: int,
        outcome: str,
        url: str,
        payload: dict[str, Any],
        event_type: str | None = None,
    ) -> Any: ...


class TaskCallbacks:
    def __init__(self, store: EventStore, callbacks: Scheduler) -> None:
        self.store = store
        self.callbacks = callbacks

    async def handle(self, event: CloudEvent) -> None:
        outcome = TERMINAL_TYPES.get(event.type)
        if outcome is None or not event.subject or not event.data:
            return
        await asyncio.to_thread(self._schedule, UUID(event.subject), outcome, event.data)

    def _schedule(self, task_id: UUID, outcome: str, data: dict[str, Any]) -> None:
        task = self.store.find(task_id, Task)
        if task is None or not task.callback_url:
            return
        attempt = int(data.get("attempt", task.attempt))
        payload = {
            "task_id": str(task.id),
            "project_id": str(task.project_id),
            "status": outcome,
            "attempt": attempt,
            "reason": data.get("reason"),
            "result": data.get("result"),
            "error": data.get("error"),
        }
        try:
            self.callbacks.schedule(
                system_context(),
                task.organization_id,
                task.id,
                attempt,
                outcome,
                task.callback_url,
                payload,
            )
        except Conflict:
            pass  # another consumer made the same delivery at the same moment
        except InvalidInput as exc:  # e.g. a host no longer allowed: nothing can be sent
            log.warning("task %s: callback not scheduled: %s", task_id, exc)
