"""The Temporal worker of workflow instances: the instance workflow and its activities on
one task queue. Activities are blocking use cases: they run on a thread pool."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from workers.temporal.activities import InstanceActivities
from workers.temporal.workflows import InstanceWorkflow

DEFAULT_TASK_QUEUE = "signalyard-workflows"


def build_worker(
    client: Client, activities: InstanceActivities, task_queue: str, max_threads: int = 8
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[InstanceWorkflow],
        activities=activities.all(),
        activity_executor=ThreadPoolExecutor(max_threads, thread_name_prefix="activity"),
        max_concurrent_activities=max_threads,
    )
