"""The router process's loop: pull messages from its durable consumer, route each, then ack
it, or nak it with a pause when something it needs is away (Temporal, Postgres, the routes
read model): a message is acked only once its every delivery is recorded, so a router
killed at any point loses nothing, and a message that comes back is signalled once."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from workers.adapters.bus import BusConfig, connect, ensure_stream
from workers.router import cloudevents
from workers.router.consumer import ConsumerSettings, ensure_consumer
from workers.router.redrive import EventSource, redrive
from workers.router.routing import Router, Verdict

logger = logging.getLogger(__name__)
FETCH_BATCH = 64
FETCH_TIMEOUT = 1.0


class RouterWorker:
    def __init__(
        self,
        router: Router,
        events: EventSource,
        bus: BusConfig,
        consumer: ConsumerSettings | None = None,
    ) -> None:
        self.router, self.events, self.bus = router, events, bus
        self.consumer = consumer or ConsumerSettings()

    async def prepare(self, js: JetStreamContext) -> None:
        await ensure_stream(js, self.bus)
        await ensure_consumer(js, self.bus, self.consumer)

    async def run(self, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
        nc = await connect(self.bus, name="signalyard-router")
        try:
            js = nc.jetstream()
            await self.prepare(js)
            sub = await js.pull_subscribe_bind(self.consumer.durable, stream=self.bus.stream)
            logger.info("router: consuming %s as %s", self.bus.stream, self.consumer.durable)
            if ready is not None:
                ready.set()
            while not stop.is_set():
                try:
                    messages = await sub.fetch(FETCH_BATCH, timeout=FETCH_TIMEOUT)
                except (TimeoutError, nats.errors.TimeoutError):  # nothing came: ask again
                    continue
                except (nats.errors.ConnectionClosedError, nats.errors.Error) as exc:
                    logger.warning("router: fetch failed (%s); retrying", exc)
                    await asyncio.sleep(1.0)
                    continue
                for message in messages:
                    await self.process(message)
        finally:
            with contextlib.suppress(Exception):
                await nc.drain()

    async def process(self, message: Msg) -> None:
        attempt = message.metadata.num_delivered or 1
        try:
            event = cloudevents.decode(message.data)
        except cloudevents.NotACloudEvent as exc:
            logger.error("router: %s on %s: dropped", exc, message.subject)
            await message.ack()
            return
        try:
            verdict = await self._route(event, attempt, message.in_progress)
        except Exception as exc:  # Postgres or the read model away, or a bug: keep the event
            pause = self.router.policy.pause_after(attempt)
            logger.warning(
                "router: event %s (attempt %d) failed: %s: %s; again in %.1f s",
                event["id"],
                attempt,
                type(exc).__name__,
                exc,
                pause,
            )
            verdict = Verdict(pause)
        if verdict.retry_in is None:
            await message.ack()
        else:
            await message.nak(delay=verdict.retry_in)

    async def _route(self, event: dict, attempt: int, keep_alive) -> Verdict:
        if cloudevents.is_redrive(event):
            return await redrive(self.router, self.events, event, attempt, keep_alive)
        return await self.router.handle(event, attempt, keep_alive)
