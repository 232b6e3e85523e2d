"""Run the signal-counting test workflow: a Temporal worker on a task queue of its own, and
the handles a test needs to start one and read what it handled."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from support.signal_counter import TASK_QUEUE_PREFIX, SignalCounter


def new_task_queue() -> str:
    return f"{TASK_QUEUE_PREFIX}-{uuid.uuid4().hex[:8]}"


@contextlib.asynccontextmanager
async def counting_worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    async with Worker(client, task_queue=task_queue, workflows=[SignalCounter]) as worker:
        yield worker


async def start_counter(client: Client, task_queue: str, workflow_id: str | None = None):
    return await client.start_workflow(
        SignalCounter.run, id=workflow_id or f"counter-{uuid.uuid4().hex}", task_queue=task_queue
    )


async def finish_and_count(handle: WorkflowHandle) -> dict[str, int]:
    """Everything the run handled before `finish` (signals are handled in history order)."""
    await handle.signal(SignalCounter.finish)
    return await handle.result()
