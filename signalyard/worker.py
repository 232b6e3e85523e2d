"""`signalyard worker`: the Temporal worker of workflow instances, wired from settings (the
event store, the blob store for stage tasks' briefs, the Temporal client)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator

from signalyard.bootstrap import build_store, database_url
from signalyard.logs import configure_logging
from signalyard.router import temporal_config
from signalyard.runtime import settle_gc
from signalyard.settings import Settings


def instance_runs(settings: Settings, store):  # -> InstanceRuns
    from domain.tasks.service import TaskService
    from domain.workflows.instance_runs import InstanceRuns
    from domain.workflows.instance_templates import PublishedTemplates
    from workers.adapters.blobstore import FileBlobStore

    tasks = TaskService(store, FileBlobStore(settings.blob_path))
    return InstanceRuns(store, PublishedTemplates(store), tasks)


@contextlib.asynccontextmanager
async def build_worker(settings: Settings) -> AsyncIterator:  # -> temporalio Worker
    from workers.adapters.temporal_client import connect
    from workers.temporal.activities import InstanceActivities
    from workers.temporal.worker import build_worker as worker_on

    store = build_store(settings, database_url(settings))
    try:
        client = await connect(temporal_config(settings), name="workflow-worker")
        activities = InstanceActivities(instance_runs(settings, store))
        yield worker_on(
            client, activities, settings.workflow_task_queue, settings.workflow_activity_threads
        )
    finally:
        store.close()


def run_worker(settings: Settings) -> None:
    """Run workflow instances until SIGINT/SIGTERM."""
    configure_logging(settings.log_level)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with build_worker(settings) as worker, worker:
            settle_gc()
            await stop.wait()

    asyncio.run(main())
