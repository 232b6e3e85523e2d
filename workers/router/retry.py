"""Try a delivery again while Temporal is away, with a growing pause, for a bounded time:
the caller keeps its message meanwhile (and gets it back from the stream if it dies)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from temporalio.client import Client

from workers.router.delivery import SignalTarget, deliver
from workers.router.outcome import Outcome

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    initial_seconds: float = 0.1
    multiplier: float = 2.0
    max_seconds: float = 5.0
    jitter: float = 0.2  # a fraction of each pause, so restarted routers do not march in step

    def pause(self, attempt: int) -> float:
        """The pause after the `attempt`-th failure (1-based)."""
        base = min(self.max_seconds, self.initial_seconds * self.multiplier ** (attempt - 1))
        return base * (1 + random.uniform(-self.jitter, self.jitter))


async def deliver_until_settled(
    client: Client,
    target: SignalTarget,
    *,
    backoff: Backoff,
    give_up_after: float,
    still_working: Callable[[], Awaitable[None]] | None = None,
) -> Outcome:
    """Deliver; while the outcome is transient and `give_up_after` seconds have not passed,
    wait and try again. The last outcome is returned, transient if time ran out."""
    deadline = time.monotonic() + give_up_after
    attempt = 0
    while True:
        attempt += 1
        outcome = await deliver(client, target)
        if not outcome.transient:
            return outcome
        pause = backoff.pause(attempt)
        if time.monotonic() + pause > deadline:
            return outcome
        if attempt == 1 or attempt % 10 == 0:
            logger.warning(
                "delivery %s to %s: %s; retrying (attempt %d)",
                target.delivery_id,
                target.workflow_id,
                outcome.detail,
                attempt,
            )
        if still_working is not None:
            await still_working()
        await asyncio.sleep(pause)
