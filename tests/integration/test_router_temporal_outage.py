"""Temporal away for 30 s loses no delivery: the router keeps trying, the delivery lands
once the server is back on the same SQLite file, and a repeat of one that landed before the
outage is still not handled twice."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

from support.temporal_worker import (
    counting_worker,
    finish_and_count,
    new_task_queue,
    start_counter,
)

from domain.routing.delivery import delivery_id
from signalyard.embedded import EmbeddedTemporal
from workers.adapters.temporal_client import FAST_FAIL, TemporalConfig, connect
from workers.router.delivery import SignalTarget, deliver
from workers.router.outcome import OutcomeKind
from workers.router.retry import Backoff, deliver_until_settled

OUTAGE_SECONDS = 30


def _target(workflow_id: str, event: uuid.UUID, route: uuid.UUID) -> SignalTarget:
    return SignalTarget(delivery_id(route, str(event)), workflow_id, "routed", {"id": str(event)})


def test_a_delivery_waits_out_a_30_s_outage_and_lands_once(service_dir: Path) -> None:
    server = EmbeddedTemporal(service_dir / "temporal")
    address = server.start()
    try:
        asyncio.run(_scenario(server, address))
    finally:
        server.stop()


async def _scenario(server: EmbeddedTemporal, address: str) -> None:
    config = TemporalConfig(address)
    router = await connect(config, name="router", retry=FAST_FAIL, lazy=True)
    route, before, during = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    queue = new_task_queue()
    starter = await connect(config, name="test")
    handle = await start_counter(starter, queue)
    assert (await deliver(router, _target(handle.id, before, route))).kind is OutcomeKind.DELIVERED

    server.stop()
    waits = 0

    async def still_working() -> None:
        nonlocal waits
        waits += 1

    stopped_at = time.monotonic()
    pending = [
        asyncio.create_task(
            deliver_until_settled(
                router,
                _target(handle.id, event, route),
                backoff=Backoff(max_seconds=2.0),
                give_up_after=300,
                still_working=still_working,
            )
        )
        for event in (during, before)
    ]
    await asyncio.sleep(OUTAGE_SECONDS)
    assert not any(task.done() for task in pending), "gave up while Temporal was away"
    assert waits >= 2 * 10  # it kept trying all along, with pauses of at most 2 s

    assert server.start() == address  # same port, same SQLite file
    outcomes = await asyncio.wait_for(asyncio.gather(*pending), timeout=120)
    assert [o.kind for o in outcomes] == [OutcomeKind.DELIVERED, OutcomeKind.DELIVERED]
    assert time.monotonic() - stopped_at < OUTAGE_SECONDS + 60

    worker_client = await connect(config, name="test-worker")
    async with counting_worker(worker_client, queue):
        assert await finish_and_count(handle) == {str(before): 1, str(during): 1}
