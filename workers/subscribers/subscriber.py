"""A durable pull consumer of the bus for one org, with explicit acks, redelivery with
backoff, a dead-letter subject and idempotent handling by CloudEvent id.

A message outside the org's subjects is dropped: a tenant can aim the reply subject of its
own pull request at another org's subject, so what arrives is checked, not trusted.
A handler that raises has its message redelivered after `backoff[n]` seconds; after
`max_deliver` deliveries the message and the reason go to `<prefix>_dlq.<org>.<durable>`
(kept in the stream `<STREAM>_DLQ`) and are acked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError, NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import APIError, NotFoundError, ServiceUnavailableError
from pydantic import ValidationError

from schemas.cloudevents import CloudEvent
from workers.adapters.bus import GLOBAL_SEGMENT, BusConfig
from workers.subscribers.processed import MemoryProcessedIds, ProcessedIds

logger = logging.getLogger(__name__)

Handler = Callable[[CloudEvent], Awaitable[None]]


@dataclass(frozen=True)
class SubscriberConfig:
    durable: str  # the consumer's name: letters, digits, - and _
    org_id: str | None  # None: every org (a platform subscriber)
    max_deliver: int = 5
    backoff: tuple[float, ...] = (1.0, 5.0, 30.0)  # the last one repeats
    ack_wait: float = 30.0
    batch: int = 50
    # False: bind to a consumer (and dead-letter stream) the control plane made, as a
    # tenant's restricted NATS credentials require; True: make or update them first.
    manage: bool = True
    # Only these subjects after the org segment, e.g. "task.>"; None: every event.
    subject_filter: str | None = None


def dead_letter_subject(bus: BusConfig, config: SubscriberConfig) -> str:
    return f"{bus.subject_prefix}_dlq.{config.org_id or GLOBAL_SEGMENT}.{config.durable}"


class Subscriber:
    def __init__(
        self,
        nc: Client,
        bus: BusConfig,
        config: SubscriberConfig,
        handler: Handler,
        processed: ProcessedIds | None = None,
    ) -> None:
        self.nc, self.bus, self.config, self.handler = nc, bus, config, handler
        self.js = nc.jetstream()
        self.processed = processed or MemoryProcessedIds()
        org = config.org_id
        self.subjects = f"{bus.subject_prefix}.{org}.>" if org else f"{bus.subject_prefix}.>"
        self.own_prefix = self.subjects[:-1]
        if config.subject_filter:
            self.subjects = f"{bus.subject_prefix}.{org or '*'}.{config.subject_filter}"

    async def ensure(self) -> None:
        """The durable consumer and the dead-letter stream (idempotent)."""
        dlq_stream = f"{self.bus.stream}_DLQ"
        try:
            await self.js.stream_info(dlq_stream)
        except NotFoundError:
            await self.js.add_stream(
                StreamConfig(
                    name=dlq_stream,
                    subjects=[f"{self.bus.subject_prefix}_dlq.>"],
                    storage=StorageType.FILE,
                    max_age=self.bus.max_age_seconds,
                )
            )
        await self.js.add_consumer(
            self.bus.stream,
            ConsumerConfig(
                durable_name=self.config.durable,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self.config.ack_wait,
                max_deliver=self.config.max_deliver,
                filter_subject=self.subjects,
            ),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Fetch and handle batches until `stop` is set."""
        if self.config.manage:
            await self.ensure()
        sub = await self.js.pull_subscribe_bind(self.config.durable, self.bus.stream)
        try:
            while not stop.is_set():
                try:
                    messages = await sub.fetch(self.config.batch, timeout=0.5)
                except (NatsTimeout, TimeoutError):  # nats-py raises either when none came
                    continue
                except (
                    ServiceUnavailableError,
                    NoRespondersError,
                    ConnectionClosedError,
                    APIError,
                ) as exc:  # JetStream not back yet after a restart: wait for it, not die
                    logger.warning("%s: fetch failed (%r); retrying", self.config.durable, exc)
                    await asyncio.sleep(0.5)
                    continue
                for msg in messages:
                    await self.handle(msg)
        finally:
            await sub.unsubscribe()

    async def handle(self, msg: Msg) -> None:
        if not msg.subject.startswith(self.own_prefix):
            logger.warning("%s: dropped a message on %s", self.config.durable, msg.subject)
            await msg.term()
            return
        try:
            event = CloudEvent.model_validate_json(msg.data)
        except ValidationError as exc:
            await self._dead_letter(msg, f"not a CloudEvent: {exc.errors()[0]['msg']}")
            return
        if await self.processed.seen(event.id):
            await msg.ack()
            return
        try:
            await self.handler(event)
        except Exception as exc:  # noqa: BLE001 - the handler's failure is the message's
            await self._failed(msg, f"{type(exc).__name__}: {exc}")
            return
        await self.processed.add(event.id)
        await msg.ack()

    async def _failed(self, msg: Msg, reason: str) -> None:
        delivered = msg.metadata.num_delivered
        if delivered >= self.config.max_deliver:
            await self._dead_letter(msg, reason)
            return
        backoff = self.config.backoff
        delay = backoff[min(delivered, len(backoff)) - 1] if backoff else 0
        logger.info(
            "%s: delivery %d failed (%s); again in %s s",
            self.config.durable,
            delivered,
            reason,
            delay,
        )
        await msg.nak(delay=delay)

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        letter = {
            "consumer": self.config.durable,
            "subject": msg.subject,
            "stream_seq": msg.metadata.sequence.stream,
            "deliveries": msg.metadata.num_delivered,
            "reason": reason[:4000],
            "message": msg.data.decode(errors="replace"),
        }
        await self.js.publish(dead_letter_subject(self.bus, self.config), orjson.dumps(letter))
        await msg.ack()
        logger.warning(
            "%s: dead-lettered stream message %d: %s",
            self.config.durable,
            letter["stream_seq"],
            reason,
        )
