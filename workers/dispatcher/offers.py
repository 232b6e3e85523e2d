"""Push dispatch: each queued attempt is offered to every live push dispatcher, as a signed
POST to its `endpoint_url`. An offer is a callback delivery (domain/callbacks): signed per
Standard Webhooks with the task's organization's signing secret, retried with backoff,
dead-lettered, listed and re-driven with the org's other deliveries, by the same sender.
An offer is only an offer: the remote dispatcher takes the attempt by claiming it through
the dispatcher API, and the claim decides (a pull dispatcher may win it too).

A durable consumer shared by every dispatcher process (each event goes to one of them);
an offer's id derives from (task, attempt, dispatcher), so a redelivered event finds the
offer already made.
"""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from domain.core.context import system_context
from domain.core.errors import Conflict, InvalidInput
from domain.infra.dispatcher_instance import DispatcherInstance
from domain.plumbing.store import EventStore
from domain.tasks.task import Task
from projections.dispatchers import heartbeats
from schemas.cloudevents import CloudEvent
from workers.dispatcher.callbacks import Scheduler

log = logging.getLogger(__name__)

DURABLE = "task-offers"
OFFERED_TYPE = "io.signalyard.task.offered.v1"
QUEUED_TYPES = frozenset({"io.signalyard.task.queued.v1", "io.signalyard.task.requeued.v1"})


def offer_outcome(dispatcher_id: UUID) -> str:
    """The delivery's outcome word: one offer per (task, attempt, dispatcher)."""
    return f"offer_{dispatcher_id.hex[:16]}"


class TaskOffers:
    def __init__(
        self, store: EventStore, callbacks: Scheduler, conninfo: str, alive_seconds: float
    ) -> None:
        self.store = store
        self.callbacks = callbacks
        self.conninfo = conninfo
        self.alive_seconds = alive_seconds

    async def handle(self, event: CloudEvent) -> None:
        if event.type not in QUEUED_TYPES or not event.subject or not event.data:
            return
        async with await AsyncConnection.connect(
            self.conninfo, autocommit=True, row_factory=dict_row
        ) as conn:
            alive = await heartbeats.alive_within(conn, self.alive_seconds)
        if alive:
            task_id, attempt = UUID(event.subject), int(event.data["attempt"])
            await asyncio.to_thread(self._offer, task_id, attempt, [i for i, _ in alive])

    def _offer(self, task_id: UUID, attempt: int, dispatcher_ids: list[UUID]) -> None:
        task = self.store.find(task_id, Task)
        if task is None or task.attempt != attempt or task.status != "queued":
            return  # taken (or moved on) already: nothing to offer
        for dispatcher_id in dispatcher_ids:
            dispatcher = self.store.find(dispatcher_id, DispatcherInstance)
            if dispatcher is None or dispatcher.dispatch_mode != "push":
                continue
            payload = {
                "task_id": str(task.id),
                "attempt": attempt,
                "organization_id": str(task.organization_id),
                "project_id": str(task.project_id),
                "agent_image": task.agent_image,
                "dispatcher": dispatcher.name,
                "claim": f"/v1/dispatch/tasks/{task.id}:claim",
            }
            try:
                self.callbacks.schedule(
                    system_context(),
                    task.organization_id,
                    task.id,
                    attempt,
                    offer_outcome(dispatcher_id),
                    str(dispatcher.endpoint_url),
                    payload,
                    OFFERED_TYPE,
                )
            except Conflict:
                pass  # another consumer made the same offer at the same moment
            except InvalidInput as exc:  # e.g. its host is no longer allowed
                log.warning("task %s: not offered to %s: %s", task.id, dispatcher.name, exc)
