"""The router's durable pull consumer on the bus: every subject, explicit acks, a bounded
number of deliveries per message, and growing pauses before a message unacked comes back."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, ReplayPolicy

from workers.adapters.bus import BusConfig

# Beyond the router's own attempts (after which it dead-letters and acks): a message that
# keeps killing its router is left alone by the server after these few more.
CRASH_MARGIN = 5


@dataclass(frozen=True)
class ConsumerSettings:
    durable: str = "signalyard-router"
    ack_wait_seconds: float = 30.0  # a router that died holding a message gives it up then
    max_attempts: int = 10
    max_ack_pending: int = 1000

    @property
    def max_deliver(self) -> int:
        return self.max_attempts + CRASH_MARGIN

    @property
    def backoff(self) -> list[float]:
        """Redelivery pauses after an ack deadline passed (the first is the ack wait)."""
        pauses = [self.ack_wait_seconds * 2**n for n in range(min(5, self.max_deliver - 1))]
        return [min(p, 600.0) for p in pauses]


def consumer_config(bus: BusConfig, settings: ConsumerSettings) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=settings.durable,
        description="Signalyard router: EventRoutes to Temporal signals",
        deliver_policy=DeliverPolicy.NEW,  # a new router starts from now, not from the past
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=settings.ack_wait_seconds,
        max_deliver=settings.max_deliver,
        backoff=settings.backoff,
        filter_subject=f"{bus.subject_prefix}.>",
        replay_policy=ReplayPolicy.INSTANT,
        max_ack_pending=settings.max_ack_pending,
    )


async def ensure_consumer(js: JetStreamContext, bus: BusConfig, settings: ConsumerSettings) -> None:
    """Create the consumer, or update it to these settings; where it is stays as it was."""
    await js.add_consumer(bus.stream, consumer_config(bus, settings))
