"""The whole path a routed event takes, for the router's end-to-end tests: an org with a
route in a fresh database, the projections, the relay and the router as the `signalyard`
processes, and the signal-counting workflow on a Temporal worker of the test's own."""

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
from dataclasses import dataclass, field
from pathlib import Path

import nats

from domain.identity.service import IdentityService
from domain.routing.service import RoutingService
from domain.tenancy.service import TenancyService
from signalyard.bootstrap import build_store, prepare
from signalyard.settings import Settings
from workers.adapters.temporal_client import TemporalConfig, connect
from workers.router.consumer import ConsumerSettings
from workers.router.sandbox import SandboxEvaluator

TOKEN = "syd_router_e2e_0123456789abcdefghijklmn"
TESTS_DIR = Path(__file__).resolve().parents[1]


@dataclass
class Processes:
    env: dict[str, str]
    log_dir: Path
    running: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> subprocess.Popen:
        with (self.log_dir / f"{name}.log").open("a") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "signalyard", *args], env=self.env, stdout=out, stderr=out
            )
        self.running[name] = process
        return process

    def kill(self, name: str) -> None:
        process = self.running.pop(name)
        process.kill()  # SIGKILL: no clean-up of any kind
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.running.clear()

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text() if path.exists() else ""


def process_env(db_url: str, nats_url: str, temporal: str, **extra: str) -> dict[str, str]:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SIGNALYARD_", "NATS_", "TEMPORAL_", "DATABASE_URL"))
    }
    return {
        **inherited,
        "DATABASE_URL": db_url,
        "NATS_URL": nats_url,
        "TEMPORAL_ADDRESS": temporal,
        "SIGNALYARD_LOG_LEVEL": "warning",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")])),
        **extra,
    }


@dataclass
class Tenant:
    settings: Settings
    identity: IdentityService
    tenancy: TenancyService
    routing: RoutingService
    admin: object
    org: object

    @property
    def store(self):
        return self.identity.store

    def close(self) -> None:
        self.routing.evaluator.close()  # type: ignore[attr-defined]
        self.identity.store.close()


def tenant(db_url: str) -> Tenant:
    settings = Settings(database_url=db_url, bootstrap_token=TOKEN)
    prepare(settings)
    store = build_store(settings, db_url)
    identity, tenancy = IdentityService(store), TenancyService(store)
    admin = identity.authenticate(TOKEN).context("router-e2e")
    org = tenancy.hierarchy.create_organization(admin, name=f"Org {uuid.uuid4().hex[:6]}").entity
    routing = RoutingService(store, SandboxEvaluator(timeout_ms=10_000, workers=1))
    return Tenant(settings, identity, tenancy, routing, admin, org)


async def _consumer_exists(nats_url: str, creds: str | None, stream: str, durable: str) -> bool:
    nc = await nats.connect(
        nats_url, user_credentials=creds, connect_timeout=2, max_reconnect_attempts=0
    )
    try:
        await nc.jetstream().consumer_info(stream, durable)
        return True
    except Exception:
        return False
    finally:
        await nc.close()


def wait_for_router(
    nats_url: str, creds: str | None, timeout: float = 60.0, stream: str = "SIGNALYARD"
) -> None:
    """The router's consumer exists (it takes events from its creation on)."""
    durable = ConsumerSettings().durable
    deadline = time.monotonic() + timeout
    while not asyncio.run(_consumer_exists(nats_url, creds, stream, durable)):
        if time.monotonic() > deadline:
            raise TimeoutError("the router did not create its consumer")
        time.sleep(0.2)


class CounterWorker:
    """The signal-counting workflow, on a worker in a thread with its own event loop."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.task_queue = f"router-e2e-{uuid.uuid4().hex[:8]}"
        self.loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def call(self, coro, timeout: float = 60.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self) -> CounterWorker:
        self._thread.start()
        self.client = self.call(connect(TemporalConfig(self.address), name="router-e2e"))
        self._done = asyncio.run_coroutine_threadsafe(self._serve(), self.loop)
        return self

    async def _serve(self) -> None:
        from support.temporal_worker import counting_worker

        self._stop = asyncio.Event()
        async with counting_worker(self.client, self.task_queue):
            await self._stop.wait()

    def start_counter(self, workflow_id: str) -> None:
        from support.temporal_worker import start_counter

        self.call(start_counter(self.client, self.task_queue, workflow_id))

    def handled(self, workflow_id: str) -> dict[str, int]:
        handle = self.client.get_workflow_handle(workflow_id)
        return self.call(handle.query("handled"))

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        try:
            self._done.result(30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)


@contextmanager
def running(processes: Processes, *names: tuple[str, ...]) -> Iterator[Processes]:
    try:
        for name, *args in names:
            processes.start(name, *args)
        yield processes
    finally:
        processes.stop_all()
