"""For the dispatcher's tests: a stack whose events reach the bus (a relay in a thread),
dispatchers in threads or as real processes (to be killed), and tasks made over the API
with agent definitions whose cmd_override is a tiny shell command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from signalyard import bootstrap
from signalyard.settings import Settings
from support.api import created, make_tree


def own_bus() -> dict[str, str]:
    """A stream and subject prefix of the stack's own: the relay resumes after what the
    stream holds, so another database's events on a shared stream would hide its own."""
    tag = uuid.uuid4().hex[:10]
    return {"nats_stream": f"D{tag}", "nats_subject_prefix": f"d{tag}"}


@contextmanager
def relay_running(settings: Settings) -> Iterator[None]:
    store, event_log = bootstrap._event_log(settings)
    runner, publisher = bootstrap.build_relay(settings, event_log)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(15)
        publisher.close()
        store.close()


@contextmanager
def callback_sender(settings: Settings) -> Iterator[None]:
    """The callback sender, polling fast, for the length of the block."""
    store = bootstrap.build_store(settings, bootstrap.database_url(settings))
    worker = bootstrap.build_callback_worker(settings, store, poll_seconds=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)
        worker.sender.close()
        store.close()


@contextmanager
def dispatcher_thread(settings: Settings, name: str | None = None) -> Iterator[Any]:
    """A dispatcher on the local runtime in a thread of the test process, with its loop."""
    named = with_credential(settings, name or f"d-{uuid.uuid4().hex[:8]}")
    store = bootstrap.build_store(named, bootstrap.database_url(named))
    dispatcher = bootstrap.build_dispatcher(named, store, "local")
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(dispatcher.run(stop))

    thread = threading.Thread(target=run, daemon=True, name=f"dispatcher-{named.dispatcher_name}")
    thread.start()
    try:
        yield dispatcher
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(20)
        store.close()


def with_credential(settings: Settings, name: str) -> Settings:
    """The dispatcher's settings: its name and a credential minted for it."""
    token = bootstrap.mint_dispatcher_credential(settings, name, f"test {name}")
    return settings.with_overrides(dispatcher_name=name, dispatcher_token=token)


def dispatcher_process(settings: Settings, name: str) -> subprocess.Popen:
    """`signalyard dispatcher --runtime local` as its own process, configured by env only."""
    token = bootstrap.mint_dispatcher_credential(settings, name, f"test {name}")
    env = {
        "SIGNALYARD_DISPATCHER_TOKEN": token,
        "SIGNALYARD_API_URL": settings.dispatcher_api_url,
        **os.environ,
        "DATABASE_URL": str(settings.database_url),
        "NATS_URL": str(settings.nats_url),
        "NATS_STREAM": settings.nats_stream,
        "SIGNALYARD_NATS_SUBJECT_PREFIX": settings.nats_subject_prefix,
        "SIGNALYARD_BLOB_DIR": str(settings.blob_path),
        "SIGNALYARD_RUNTIME_DIR": str(settings.runtime_path),
        "SIGNALYARD_DISPATCHER_NAME": name,
        "SIGNALYARD_DISPATCHER_HEARTBEAT_SECONDS": str(settings.dispatcher_heartbeat_seconds),
        "SIGNALYARD_DISPATCHER_LOST_AFTER_SECONDS": str(settings.dispatcher_lost_after_seconds),
        "SIGNALYARD_DISPATCHER_SWEEP_SECONDS": str(settings.dispatcher_sweep_seconds),
        "SIGNALYARD_LOG_LEVEL": "info",
    }
    if settings.webhook_secret_key:  # it schedules callbacks, as the API does
        env["SIGNALYARD_WEBHOOK_SECRET_KEY"] = str(settings.webhook_secret_key)
    if settings.nats_creds:
        env["NATS_CREDS"] = str(settings.nats_creds)
    return subprocess.Popen(
        [sys.executable, "-m", "signalyard", "dispatcher", "--runtime", "local"],
        env=env,
        start_new_session=True,  # its own group: kill -9 of it leaves its attempts' groups
        stderr=open(f"/tmp/dispatcher-{name}.log", "wb"),  # noqa: SIM115 - read on failure
    )


def agent(admin: httpx.Client, org_path: str, slug: str, shell: str) -> None:
    created(
        admin.post(
            f"{org_path}/agent-definitions",
            json={
                "name": slug,
                "slug": slug,
                "image": "busybox:1",
                "cmd_override": ["/bin/sh", "-c", shell],
                "default_cpu": "500m",
                "max_cpu": "1",
                "default_memory": "256Mi",
                "max_memory": "512Mi",
            },
        )
    )


def task_tree(admin: httpx.Client, label: str) -> Any:
    tree = make_tree(admin, label)
    created(
        admin.post(
            f"{tree.org_path}/runtime-targets",
            json={"name": "Local", "backend_type": "local", "is_default": True},
        )
    )
    return tree


def submit(admin: httpx.Client, tree: Any, definition: str, **body: Any) -> dict:
    sent = admin.post(
        f"{tree.project_path}/tasks",
        json={"brief": "say hello", "agent_definition": definition, **body},
    )
    assert sent.status_code == 202, sent.text
    return sent.json()


def wait_status(
    admin: httpx.Client, tree: Any, guid: str, wanted: set[str], timeout: float = 30.0
) -> dict:
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        got = admin.get(f"{tree.project_path}/tasks/{guid}")
        body = got.json()
        if body.get("status") in wanted:
            return body
        time.sleep(0.1)
    raise AssertionError(f"task never became {wanted}: {body}")


@contextmanager
def offers_running(settings: Settings) -> Iterator[None]:
    """Push dispatch's offer maker alone (as every dispatcher runs it), without a pull
    dispatcher that would claim the tasks first."""
    from signalyard.bus import required_bus_config
    from workers.adapters.bus import connect, ensure_stream
    from workers.dispatcher.offers import DURABLE
    from workers.subscribers.subscriber import Subscriber, SubscriberConfig

    store = bootstrap.build_store(settings, bootstrap.database_url(settings))
    offers = bootstrap.build_task_offers(settings, store)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def main() -> None:
        config = required_bus_config(settings)
        nc = await connect(config, name="test offers")
        try:
            await ensure_stream(nc.jetstream(), config)
            shared = SubscriberConfig(durable=DURABLE, org_id=None, subject_filter="task.>")
            await Subscriber(nc, config, shared, offers.handle).run(stop)
        finally:
            await nc.close()

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(20)
        store.close()
