"""What every dispatcher does beside taking work: beat its heartbeat (through the API),
re-queue the attempts of dispatchers that went silent (as a new attempt: the attempt number
fences the old one's late reports), and time out attempts past their deadline (server-side
timeouts). Those two are the control plane's enforcement, run as the system by whichever
dispatcher (a trusted process with store access) sweeps first.

Any dispatcher may sweep; two doing it at once is safe, since each command is an
optimistic write that a second one finds already done (409, ignored).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from projections.dispatchers import heartbeats
from projections.tasks.views import live_of_dispatcher, tasks
from workers.dispatcher.attempts import SystemReporter

if TYPE_CHECKING:
    from workers.dispatcher.dispatcher import Dispatcher, DispatcherOptions

log = logging.getLogger(__name__)


class Sweepers:
    def __init__(self, dispatcher: Dispatcher, options: DispatcherOptions) -> None:
        self.dispatcher = dispatcher
        self.options = options
        self.system = SystemReporter(dispatcher.lifecycle)

    async def _connect(self) -> AsyncConnection:
        return await AsyncConnection.connect(
            self.options.conninfo, autocommit=True, row_factory=dict_row
        )

    async def beat(self) -> None:
        await self.dispatcher.api.heartbeat()

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = 0.0
        while not stop.is_set():
            try:
                await self.beat()
            except Exception:  # noqa: BLE001 - the API is away: beat again next round
                log.warning("dispatcher %s: heartbeat failed", self.dispatcher.name, exc_info=True)
            try:
                if loop.time() >= next_sweep:
                    next_sweep = loop.time() + self.options.sweep_seconds
                    await self.sweep()
            except Exception:  # noqa: BLE001 - a bad round (database restart) is retried
                log.warning("dispatcher %s: sweep failed", self.dispatcher.name, exc_info=True)
            try:
                await asyncio.wait_for(stop.wait(), self.options.heartbeat_seconds)
            except TimeoutError:
                pass

    async def requeue_own(self) -> None:
        """At start: attempts recorded as this dispatcher's are from before a restart (it
        holds none yet), so they are re-queued now rather than when their deadline passes."""
        reason = f"dispatcher {self.dispatcher.name} restarted"
        async with await self._connect() as conn:
            for row in await live_of_dispatcher(conn, self.dispatcher.name):
                await self.system.report("requeue_lost", row["guid"], row["attempt"], reason)

    async def sweep(self) -> None:
        async with await self._connect() as conn:
            await self.requeue_lost(conn)
            await self.time_out_overdue(conn)
            await self.stop_cancelled(conn)

    async def requeue_lost(self, conn: AsyncConnection) -> None:
        silent = await heartbeats.silent_since(conn, self.options.lost_after_seconds)
        for dispatcher_id, name in silent:
            if dispatcher_id == self.dispatcher.id:
                continue
            reason = (
                f"dispatcher {name} lost: no heartbeat for {self.options.lost_after_seconds:g} s"
            )
            if await asyncio.to_thread(
                self.dispatcher.dispatchers.mark_lost, dispatcher_id, reason
            ):
                log.warning("%s", reason)
            # Every round, not once: the read model may not show its last claim yet.
            for row in await live_of_dispatcher(conn, name):
                await self.system.report("requeue_lost", row["guid"], row["attempt"], reason)

    async def time_out_overdue(self, conn: AsyncConnection) -> None:
        for row in await tasks.list_overdue(conn, datetime.now(tz=UTC)):
            if await self.system.report("time_out", row["guid"], row["attempt"]):
                await self.dispatcher.stop_attempt(row["guid"], row["attempt"], "timed out")

    async def stop_cancelled(self, conn: AsyncConnection) -> None:
        """A cancel reaches the dispatcher on the bus, in order with the queued tasks; at its
        concurrency limit the consumer waits for a slot, so a cancel behind it would wait for
        an attempt to end. Each sweep stops this dispatcher's attempts asked to cancel."""
        for row in await live_of_dispatcher(conn, self.dispatcher.name):
            if row["cancel_requested"]:
                await self.dispatcher.stop_attempt(row["guid"], row["attempt"], "cancelled")
