"""Router deliveries against the real Temporal dev server: one routed event makes a workflow
act once however often (and however concurrently) it is delivered, and every refusal is
classified."""

from __future__ import annotations

import asyncio
import uuid

from support.temporal_worker import (
    counting_worker,
    finish_and_count,
    new_task_queue,
    start_counter,
)
from temporalio.client import Client

from domain.routing.delivery import delivery_id
from workers.adapters.temporal_client import TemporalConfig, connect
from workers.router.delivery import SignalTarget, deliver
from workers.router.outcome import OutcomeKind

ROUTE = uuid.uuid4()


def _target(workflow_id: str, event_id: uuid.UUID, **extra) -> SignalTarget:
    return SignalTarget(
        delivery_id=delivery_id(extra.pop("route", ROUTE), str(event_id)),
        workflow_id=workflow_id,
        signal_name="task.succeeded",
        payload=extra.pop("payload", {"id": str(event_id)}),
        headers={"signalyard-event-id": str(event_id)},
        **extra,
    )


async def _client(address: str) -> Client:
    return await connect(TemporalConfig(address), name="router-test")


def test_one_delivery_sent_five_times_and_five_at_once_is_handled_once(
    temporal_address: str,
) -> None:
    async def scenario() -> None:
        client = await _client(temporal_address)
        queue = new_task_queue()
        async with counting_worker(client, queue):
            handle = await start_counter(client, queue)
            first, second = uuid.uuid4(), uuid.uuid4()
            target = _target(handle.id, first)
            outcomes = [await deliver(client, target) for _ in range(5)]
            outcomes += await asyncio.gather(*(deliver(client, target) for _ in range(5)))
            assert {o.kind for o in outcomes} == {OutcomeKind.DELIVERED}
            again = await deliver(client, _target(handle.id, second))
            other_route = await deliver(client, _target(handle.id, first, route=uuid.uuid4()))
            assert again.kind is other_route.kind is OutcomeKind.DELIVERED
            assert await finish_and_count(handle) == {str(first): 2, str(second): 1}

    asyncio.run(scenario())


def test_signal_with_start_starts_once_and_signals_once(temporal_address: str) -> None:
    async def scenario() -> None:
        client = await _client(temporal_address)
        queue = new_task_queue()
        async with counting_worker(client, queue):
            workflow_id, event = f"task-{uuid.uuid4().hex}", uuid.uuid4()
            target = _target(
                workflow_id,
                event,
                action="signal_with_start",
                workflow_type="SignalCounter",
                task_queue=queue,
            )
            outcomes = [await deliver(client, target)]
            outcomes += await asyncio.gather(*(deliver(client, target) for _ in range(4)))
            assert [o.started for o in outcomes].count(True) == 1
            assert len({o.run_id for o in outcomes}) == 1
            existing = await start_counter(client, queue)
            onto_running = [
                await deliver(client, _target(existing.id, event, **_start_args(queue)))
                for _ in range(3)
            ]
            assert not any(o.started for o in onto_running)
            handle = client.get_workflow_handle(workflow_id)
            assert await finish_and_count(handle) == {str(event): 1}
            assert await finish_and_count(existing) == {str(event): 1}
            # The run is closed: a repeat of the delivery that started it starts nothing.
            repeat = await deliver(client, target)
            assert repeat.kind is OutcomeKind.DUPLICATE and not repeat.started
            late = await deliver(client, _target(workflow_id, uuid.uuid4(), **_start_args(queue)))
            assert late.kind is OutcomeKind.WORKFLOW_CLOSED
            # A run we signalled but did not start: its history says the repeat had landed.
            again = await deliver(client, _target(existing.id, event, **_start_args(queue)))
            assert again.kind is OutcomeKind.DUPLICATE and again.run_id == existing.result_run_id

    asyncio.run(scenario())


def _start_args(queue: str) -> dict:
    return {"action": "signal_with_start", "workflow_type": "SignalCounter", "task_queue": queue}


def test_missing_and_closed_workflows_are_told_apart(temporal_address: str) -> None:
    async def scenario() -> None:
        client = await _client(temporal_address)
        queue = new_task_queue()
        async with counting_worker(client, queue):
            missing = await deliver(client, _target(f"nobody-{uuid.uuid4().hex}", uuid.uuid4()))
            assert missing.kind is OutcomeKind.NO_SUCH_WORKFLOW and not missing.transient
            handle = await start_counter(client, queue)
            landed = _target(handle.id, uuid.uuid4())
            assert (await deliver(client, landed)).kind is OutcomeKind.DELIVERED
            await finish_and_count(handle)
            closed = await deliver(client, _target(handle.id, uuid.uuid4()))
            assert closed.kind is OutcomeKind.WORKFLOW_CLOSED and "completed" in closed.detail
            # The router died after delivering and before recording: the server still knows
            # the request id, so the repeat is no failure (and no second signal).
            repeat = await deliver(client, landed)
            assert repeat.landed and not repeat.transient

    asyncio.run(scenario())


def test_payloads_that_cannot_be_sent_are_payload_errors(temporal_address: str) -> None:
    async def scenario() -> None:
        client = await _client(temporal_address)
        queue = new_task_queue()
        async with counting_worker(client, queue):
            handle = await start_counter(client, queue)
            event = uuid.uuid4()
            huge = await deliver(client, _target(handle.id, event, payload={"id": "x" * 3_000_000}))
            assert huge.kind is OutcomeKind.PAYLOAD_ERROR and "size" in huge.detail.lower()
            odd = await deliver(client, _target(handle.id, event, payload={"id": object()}))
            assert odd.kind is OutcomeKind.PAYLOAD_ERROR and not odd.transient
            assert await finish_and_count(handle) == {}

    asyncio.run(scenario())
