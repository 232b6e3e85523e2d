"""The pull dispatcher: a durable consumer of the bus takes queued tasks (new and re-queued
attempts), claims each through the task's `claim` use case (of racing dispatchers exactly
one wins; a loser acks and moves on) and runs it on its runtime. A cancel of a running
task stops it there. Beside that it beats its heartbeat and runs the sweepers."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.core.context import system_context
from domain.core.errors import Conflict, NotFound
from domain.infra.dispatchers import Dispatchers
from domain.plumbing.store import EventStore
from domain.tasks.lifecycle import TaskLifecycle
from domain.tasks.task import Task
from schemas.cloudevents import CloudEvent
from workers.adapters.bus import BusConfig, connect, ensure_stream
from workers.dispatcher.attempts import follow_attempt, report
from workers.dispatcher.callbacks import DURABLE as CALLBACKS_DURABLE
from workers.dispatcher.callbacks import TaskCallbacks
from workers.dispatcher.launch import LaunchBuilder
from workers.dispatcher.sweepers import Sweepers
from workers.runtimes.interface import Runtime, RuntimeHandle
from workers.subscribers.subscriber import Subscriber, SubscriberConfig

log = logging.getLogger(__name__)

QUEUED_TYPES = frozenset({"io.signalyard.task.queued.v1", "io.signalyard.task.requeued.v1"})
CANCEL_TYPE = "io.signalyard.task.cancel_requested.v1"


@dataclass(frozen=True)
class DispatcherOptions:
    name: str
    runtime_kind: str
    conninfo: str
    heartbeat_seconds: float = 2.0
    lost_after_seconds: float = 15.0
    sweep_seconds: float = 2.0
    max_concurrent: int = 16  # attempts claimed or running here at once


def durable_of(name: str) -> str:
    return "dispatcher-" + re.sub(r"[^A-Za-z0-9_-]", "_", name)[:200]


class Dispatcher:
    def __init__(
        self,
        store: EventStore,
        lifecycle: TaskLifecycle,
        launch: LaunchBuilder,
        runtime: Runtime,
        bus: BusConfig,
        options: DispatcherOptions,
        callbacks: TaskCallbacks | None = None,
    ) -> None:
        self.store, self.lifecycle, self.launch = store, lifecycle, launch
        self.callbacks = callbacks
        self.runtime, self.bus, self.options = runtime, bus, options
        self.dispatchers = Dispatchers(store)
        self.name = options.name
        self.running: dict[UUID, tuple[int, RuntimeHandle]] = {}
        self.cancels: set[UUID] = set()
        self._followers: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(options.max_concurrent)

    async def run(self, stop: asyncio.Event) -> None:
        self.id = await asyncio.to_thread(
            self.dispatchers.register, self.name, self.options.runtime_kind, self._bus_view()
        )
        sweepers = Sweepers(self, self.options)
        await sweepers.beat()  # online before the first claim
        await sweepers.requeue_own()
        nc = await connect(self.bus, name=f"dispatcher {self.name}")
        try:
            await ensure_stream(nc.jetstream(), self.bus)
            config = SubscriberConfig(
                durable=durable_of(self.name), org_id=None, ack_wait=60, subject_filter="task.>"
            )
            subscriber = Subscriber(nc, self.bus, config, self.handle)
            runs = [subscriber.run(stop), sweepers.run(stop)]
            if self.callbacks is not None:
                shared = SubscriberConfig(
                    durable=CALLBACKS_DURABLE, org_id=None, subject_filter="task.>"
                )
                runs.append(Subscriber(nc, self.bus, shared, self.callbacks.handle).run(stop))
            await asyncio.gather(*runs)
        finally:
            for follower in list(self._followers):
                follower.cancel()
            await nc.close()

    def _bus_view(self) -> dict[str, Any]:
        """What the dispatcher consumes, for the record: never its credentials."""
        return {
            "url": self.bus.url,
            "stream": self.bus.stream,
            "durable": durable_of(self.name),
            "filter_subject": f"{self.bus.subject_prefix}.*.task.>",
        }

    async def handle(self, event: CloudEvent) -> None:
        if event.type in QUEUED_TYPES and event.subject and event.data:
            await self.take(UUID(event.subject), int(event.data["attempt"]))
        elif event.type == CANCEL_TYPE and event.subject:
            await self.cancel(UUID(event.subject))

    async def take(self, task_id: UUID, attempt: int) -> None:
        # A slot before the claim: at most max_concurrent attempts claimed or running here;
        # the next queued task waits on the bus, unclaimed, for any dispatcher to take. An
        # attempt's follower gives its slot back when the attempt ends.
        await self.slots.acquire()
        follower = None
        try:
            follower = await self._take(task_id, attempt)
        finally:
            if follower is None:
                self.slots.release()
            else:
                follower.add_done_callback(lambda _: self.slots.release())

    async def _take(self, task_id: UUID, attempt: int) -> asyncio.Task[None] | None:
        ctx = system_context()
        try:
            await asyncio.to_thread(self.lifecycle.claim, ctx, task_id, self.name, attempt)
        except (Conflict, NotFound) as exc:  # another dispatcher won, or it moved on
            log.debug("task %s attempt %d not claimed: %s", task_id, attempt, exc)
            return None
        try:
            task = await asyncio.to_thread(self.store.find, task_id, Task)
            assert task is not None
            spec = await asyncio.to_thread(self.launch, task)
            handle = await self.runtime.start(spec)
        except Exception as exc:  # noqa: BLE001 - cannot launch: the attempt fails, saying why
            log.warning("task %s attempt %d: launch failed", task_id, attempt, exc_info=True)
            error = {"message": f"launch failed: {exc}"[:500]}
            await report(self.lifecycle, "fail", task_id, attempt, error)
            return None
        self.running[task_id] = (attempt, handle)
        follower = asyncio.create_task(self._follow(task_id, attempt, handle))
        self._followers.add(follower)
        follower.add_done_callback(self._followers.discard)
        await report(self.lifecycle, "start", task_id, attempt)
        if task_id in self.cancels or task.cancel_requested:
            await self.runtime.stop(handle, "cancelled")
        return follower

    async def _follow(self, task_id: UUID, attempt: int, handle: RuntimeHandle) -> None:
        try:
            await follow_attempt(self.lifecycle, self.runtime, task_id, attempt, handle)
        finally:
            if self.running.get(task_id, (0,))[0] == attempt:
                del self.running[task_id]
            self.cancels.discard(task_id)

    async def cancel(self, task_id: UUID) -> None:
        held = self.running.get(task_id)
        if held is None:
            self.cancels.add(task_id)  # claimed but not started yet, or not ours
            return
        await self.runtime.stop(held[1], "cancelled")

    async def stop_attempt(self, task_id: UUID, attempt: int, reason: str) -> None:
        held = self.running.get(task_id)
        if held is not None and held[0] == attempt:
            await self.runtime.stop(held[1], reason)
