"""Everything a workflow instance runs on, for the workflow tests: the API and projections
(threads), the relay, the router and a dispatcher on the local runtime (threads), and the
workflow worker (a thread, or a real `signalyard worker` process to be killed), on the
session's NATS and Temporal, with a stream, a subject prefix and a task queue of their own."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from domain.identity.service import IdentityService
from domain.workflows.template_service import WorkflowTemplateService
from signalyard import bootstrap
from signalyard.settings import Settings
from support.dispatch import agent, dispatcher_thread, own_bus, relay_running, task_tree
from support.router_stack import wait_for_router
from support.stack import ADMIN_TOKEN, Stack, bus_settings, running_stack


@contextmanager
def loop_thread(name: str, body: Any) -> Iterator[None]:
    """`body(stop)` (a coroutine function) on an event loop of its own, in a thread."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(body(stop))
        except BaseException as exc:  # reported when the block ends
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True, name=name)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
    if failure:
        raise failure[0]


@contextmanager
def router_running(settings: Settings) -> Iterator[None]:
    from signalyard.router import build_router

    async def body(stop: asyncio.Event) -> None:
        async with build_router(settings) as worker:
            await worker.run(stop)

    with loop_thread("test-router", body):
        wait_for_router(
            str(settings.nats_url),
            str(settings.nats_creds) if settings.nats_creds else None,
            stream=settings.nats_stream,
        )
        yield


@contextmanager
def worker_running(settings: Settings) -> Iterator[None]:
    from signalyard.worker import build_worker

    async def body(stop: asyncio.Event) -> None:
        async with build_worker(settings) as worker, worker:
            await stop.wait()

    with loop_thread("test-workflow-worker", body):
        yield


def worker_process(settings: Settings, log: Path) -> subprocess.Popen:
    """`signalyard worker` as its own process, configured by env only (to be killed)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SIGNALYARD_", "TEMPORAL_"))},
        "DATABASE_URL": str(settings.database_url),
        "TEMPORAL_ADDRESS": str(settings.temporal_address),
        "SIGNALYARD_BLOB_DIR": str(settings.blob_path),
        "SIGNALYARD_WORKFLOW_TASK_QUEUE": settings.workflow_task_queue,
        "SIGNALYARD_LOG_LEVEL": "warning",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "signalyard", "worker"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def stack_options(nats_bus: Any, temporal_address: str, runtime_dir: Path) -> dict[str, Any]:
    return {
        **bus_settings(nats_bus),
        **own_bus(),
        "temporal_address": temporal_address,
        "workflow_task_queue": f"wf-{uuid.uuid4().hex[:10]}",
        "runtime_dir": runtime_dir,
        "runtime_kill_grace_seconds": 0.5,
        "dispatcher_heartbeat_seconds": 0.5,
        "dispatcher_sweep_seconds": 0.5,
        "dispatcher_lost_after_seconds": 3.0,
        "router_retry_window_seconds": 5.0,
    }


@contextmanager
def workflow_stack(
    db_url: str, nats_bus: Any, temporal_address: str, *, in_process_worker: bool = True
) -> Iterator[Stack]:
    runtime_dir = Path(tempfile.mkdtemp(prefix="signalyard-wf-"))
    runtime_dir.chmod(0o755)
    options = stack_options(nats_bus, temporal_address, runtime_dir)
    try:
        with (
            running_stack(db_url, **options) as stack,
            relay_running(stack.settings),
            router_running(stack.settings),
            dispatcher_thread(stack.settings),
        ):
            if in_process_worker:
                with worker_running(stack.settings):
                    yield stack
            else:
                yield stack
    finally:
        shutil.rmtree(runtime_dir, ignore_errors=True)


class Templates:
    """Workflow templates made through their use cases (the templates' API is another's)."""

    def __init__(self, stack: Stack) -> None:
        settings = stack.settings
        self.store = bootstrap.build_store(settings, bootstrap.database_url(settings))
        self.admin = IdentityService(self.store).authenticate(ADMIN_TOKEN).context("wf-tests")
        self.service = WorkflowTemplateService(self.store)

    def publish(self, org: str, draft: dict[str, Any]) -> str:
        name = f"T {uuid.uuid4().hex[:8]}"
        made = self.service.create(self.admin, org, name, draft=draft)
        self.service.publish(self.admin, org, str(made.guid))
        return str(made.guid)

    def close(self) -> None:
        self.store.close()


def agents_tree(admin: httpx.Client) -> Any:
    """A project with a local runtime target and no-op agents: `ok` prints its input and a
    result, `broken` fails, `sleeper` runs until cancelled."""
    tree = task_tree(admin, "wf")
    org = tree.org_path
    agent(admin, org, "ok", 'echo "input=$SIGNALYARD_TASK_INPUT"')
    agent(admin, org, "broken", "echo about to fail >&2; exit 3")
    agent(admin, org, "sleeper", "sleep 120")
    return tree


def task_stage(name: str, order: int, definition: str = "ok", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "order": order,
        "stage_type": "agent_task",
        "agent_definition": {"ref": definition},
        "brief": f"stage {name}",
        "timeout_seconds": 120,
        **extra,
    }


def start(admin: httpx.Client, tree: Any, template: str, **body: Any) -> dict:
    sent = admin.post(
        f"{tree.project_path}/workflow-instances", json={"template": template, **body}
    )
    assert sent.status_code == 202, sent.text
    assert sent.headers["Location"].endswith(sent.json()["guid"])
    return sent.json()


def wait_instance(
    admin: httpx.Client, tree: Any, guid: str, wanted: set[str], timeout: float = 90.0
) -> dict:
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        got = admin.get(f"{tree.project_path}/workflow-instances/{guid}")
        if got.status_code == 200:
            body = got.json()
            if body["status"] in wanted:
                return body
        time.sleep(0.2)
    raise AssertionError(f"instance never became {wanted}: {body}")


def wait_stage(
    admin: httpx.Client, tree: Any, guid: str, stage: str, timeout: float = 90.0
) -> dict:
    """The instance once its current stage is `stage` (it waits there)."""
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        got = admin.get(f"{tree.project_path}/workflow-instances/{guid}")
        if got.status_code == 200:
            body = got.json()
            if body["current_stage"] == stage:
                return body
        time.sleep(0.2)
    raise AssertionError(f"instance never reached stage {stage}: {body}")


def timeline(admin: httpx.Client, tree: Any, guid: str) -> dict:
    got = admin.get(f"{tree.project_path}/workflow-instances/{guid}/timeline")
    assert got.status_code == 200, got.text
    return got.json()
