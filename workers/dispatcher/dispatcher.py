"""The pull dispatcher: a durable consumer of the bus takes queued tasks (new and re-queued
attempts), claims each through the dispatcher API with its own credential (of racing
dispatchers exactly one wins; a loser acks and moves on) and runs it on its runtime,
reporting start and outcome through the API too. A cancel of a running task stops it there.
Beside that it beats its heartbeat and runs the sweepers.

It is a trusted process: the launch spec (brief, bundles, configs) is built here, from the
store, and so is any secret resolution; only the task's commands go through the API."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.infra.dispatchers import Dispatchers
from domain.plumbing.store import EventStore
from domain.tasks.lifecycle import TaskLifecycle
from domain.tasks.task import Task
from schemas.cloudevents import CloudEvent
from workers.adapters.bus import BusConfig, connect, ensure_stream
from workers.adapters.dispatch_api import DispatchApi
from workers.dispatcher.attempts import follow_attempt
from workers.dispatcher.callbacks import DURABLE as CALLBACKS_DURABLE
from workers.dispatcher.callbacks import TaskCallbacks
from workers.dispatcher.gate import LaunchGate
from workers.dispatcher.launch import LaunchBuilder
from workers.dispatcher.offers import DURABLE as OFFERS_DURABLE
from workers.dispatcher.offers import TaskOffers
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
        api: DispatchApi,
        callbacks: TaskCallbacks | None = None,
        offers: TaskOffers | None = None,
        gate: LaunchGate | None = None,
    ) -> None:
        self.store, self.lifecycle, self.launch = store, lifecycle, launch
        self.api = api  # claims, reports and heartbeats, as this dispatcher
        self.gate = gate or LaunchGate(store, lifecycle, options.name)
        self.callbacks = callbacks
        self.offers = offers  # push dispatch: offers of queued tasks to push dispatchers
        self.runtime, self.bus, self.options = runtime, bus, options
        self.dispatchers = Dispatchers(store)  # the sweepers mark silent ones lost
        self.name = options.name  # until registered: then the credential's
        self.running: dict[UUID, tuple[int, RuntimeHandle]] = {}
        self.cancels: set[UUID] = set()
        self._followers: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(options.max_concurrent)

    async def run(self, stop: asyncio.Event) -> None:
        self.id, self.name = await self.api.register(self.options.runtime_kind, self._bus_view())
        if self.name != self.options.name:  # the credential names it: record its real view
            log.warning(
                "dispatcher %s registers as %s, its credential's name", self.options.name, self.name
            )
            await self.api.register(self.options.runtime_kind, self._bus_view())
        sweepers = Sweepers(self, self.options)  # registering beat the heartbeat
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
            if self.offers is not None:
                shared = SubscriberConfig(
                    durable=OFFERS_DURABLE, org_id=None, subject_filter="task.>"
                )
                runs.append(Subscriber(nc, self.bus, shared, self.offers.handle).run(stop))
            await asyncio.gather(*runs)
        finally:
            for follower in list(self._followers):
                follower.cancel()
            await nc.close()
            await self.api.close()
            self.gate.close()

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
        """Claim, then launch on the side: an attempt that waits (its target's service down,
        a secret backend unreachable) never holds back the tasks queued behind it.

        A slot is taken before the claim: at most max_concurrent attempts are claimed or
        running here, and the next queued task waits on the bus, unclaimed, for any
        dispatcher. The slot comes back when the launch fails or the attempt ends."""
        await self.slots.acquire()
        try:
            claimed = await self.api.claim(task_id, attempt)
        except BaseException:
            self.slots.release()
            raise
        if not claimed:  # another dispatcher won, or the task moved on
            self.slots.release()
            return
        launching = asyncio.create_task(self._launch(task_id, attempt))
        self._followers.add(launching)
        launching.add_done_callback(self._followers.discard)

    async def _launch(self, task_id: UUID, attempt: int) -> None:
        follower = None
        try:
            follower = await self._start(task_id, attempt)
        finally:
            if follower is None:
                self.slots.release()
            else:
                follower.add_done_callback(lambda _: self.slots.release())

    async def _start(self, task_id: UUID, attempt: int) -> asyncio.Task[None] | None:
        try:
            task = await asyncio.to_thread(self.store.find, task_id, Task)
            assert task is not None
            spec = await asyncio.to_thread(self.launch, task)
            spec = await self.gate.prepare(spec, task)  # waits: target down, secrets unreachable
            handle = await self.runtime.start(spec)
        except Exception as exc:  # noqa: BLE001 - cannot launch: the attempt fails, saying why
            log.warning("task %s attempt %d: launch failed", task_id, attempt, exc_info=True)
            error = {"message": f"launch failed: {exc}"[:500]}
            await self.api.report("fail", task_id, attempt, error)
            return None
        self.running[task_id] = (attempt, handle)
        # Started before it is followed: an agent that exits at once must not have its
        # outcome reported ahead of its start (the record would skip `running`). The
        # follower reads the runtime's changes from the first, so it misses none.
        try:
            await self.api.report("start", task_id, attempt)
        except Exception:  # noqa: BLE001 - unreported start: its outcome is still followed
            log.warning("task %s attempt %d: start not reported", task_id, attempt, exc_info=True)
        follower = asyncio.create_task(self._follow(task_id, attempt, handle))
        self._followers.add(follower)
        follower.add_done_callback(self._followers.discard)
        if task_id in self.cancels or task.cancel_requested:
            await self.runtime.stop(handle, "cancelled")
        return follower

    async def _follow(self, task_id: UUID, attempt: int, handle: RuntimeHandle) -> None:
        try:
            await follow_attempt(self.api, self.runtime, task_id, attempt, handle)
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
