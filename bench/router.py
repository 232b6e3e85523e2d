"""Commit -> Temporal signal handled in the workflow, along an EventRoute: events committed
at a steady rate through the use cases, carried by `signalyard relay` to NATS and by
`signalyard router` to a workflow that notes when it handled each one; beside it, the
limit: a plain signal call to the same dev server, timed by its caller, in the same run."""

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
from pathlib import Path

import nats

from bench.pg import BenchDatabase
from bench.signal_timer import SignalTimer
from bench.stats import percentile
from domain.identity.service import IdentityService
from domain.routing.service import RoutingService
from domain.tenancy.service import TenancyService
from signalyard.bootstrap import build_store, prepare, route_sandbox
from signalyard.embedded import EmbeddedNats, EmbeddedTemporal
from signalyard.settings import Settings
from workers.adapters.temporal_client import TemporalConfig, connect
from workers.relay.mapping import event_id
from workers.router.consumer import ConsumerSettings

TOKEN = "syd_bench_router_0123456789abcdefghijklmn"
WARM_UP = 10
RATE_PER_SECOND = 10


class _Timer:
    """The SignalTimer workflow on a worker in a thread with its own event loop."""

    def __init__(self, address: str) -> None:
        self.address, self.queue = address, f"bench-{uuid.uuid4().hex[:8]}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def call(self, coro, timeout: float = 120.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self) -> _Timer:
        from temporalio.worker import Worker

        self.thread.start()
        self.client = self.call(connect(TemporalConfig(self.address), name="bench"))

        async def build() -> Worker:  # in the loop it will run on
            return Worker(self.client, task_queue=self.queue, workflows=[SignalTimer])

        self.worker = self.call(build())
        self.serving = asyncio.run_coroutine_threadsafe(self.worker.run(), self.loop)
        return self

    def start(self, workflow_id: str):
        return self.call(
            self.client.start_workflow(SignalTimer.run, id=workflow_id, task_queue=self.queue)
        )

    def handled_at(self, workflow_id: str) -> dict[str, float]:
        return self.call(self.client.get_workflow_handle(workflow_id).query("handled_at"))

    def signal_call_ms(self, workflow_id: str, count: int) -> list[float]:
        async def calls() -> list[float]:
            handle, spent = self.client.get_workflow_handle(workflow_id), []
            for n in range(count):
                started = time.perf_counter()
                await handle.signal("raw", {"id": f"raw-{n}"})
                spent.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(1 / RATE_PER_SECOND)
            return spent

        return self.call(calls(), timeout=count + 120)

    def __exit__(self, *exc: object) -> None:
        self.call(self.worker.shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def run(db: BenchDatabase, quick: bool) -> dict:
    count = 100 if quick else 400
    url = db.new_database("router")
    base = Path(tempfile.mkdtemp(prefix="signalyard-bench-router-"))
    try:
        with EmbeddedNats(base / "nats") as bus, EmbeddedTemporal(base / "temporal") as temporal:
            return _measure(url, bus.url, str(bus.creds_path), temporal.address, base, count)
    finally:
        db.drop(url)
        shutil.rmtree(base, ignore_errors=True)


def _measure(url: str, nats_url: str, creds: str, address: str, base: Path, count: int) -> dict:
    settings = Settings(database_url=url, bootstrap_token=TOKEN)
    prepare(settings)
    store = build_store(settings, url)
    sandbox = route_sandbox(settings)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SIGNALYARD_", "NATS_"))},
        "DATABASE_URL": url,
        "NATS_URL": nats_url,
        "NATS_CREDS": creds,
        "TEMPORAL_ADDRESS": address,
        "SIGNALYARD_LOG_LEVEL": "warning",
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "signalyard", *args],
            env=env,
            stdout=(base / f"{args[0]}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for args in (["projections", "run"], ["relay"], ["router"])
    ]
    try:
        identity, tenancy = IdentityService(store), TenancyService(store)
        admin = identity.authenticate(TOKEN).context("bench")
        org = str(tenancy.hierarchy.create_organization(admin, name="Routed").guid)
        workflow_id = f"bench-{uuid.uuid4().hex[:8]}"
        with _Timer(address) as timer:
            timer.start(workflow_id)
            _wait_for_consumer(nats_url, creds)
            RoutingService(store, sandbox).routes.create(
                admin,
                org,
                "Bench",
                {
                    "event_type": "io.signalyard.team.created.v1",
                    "target_wf_id": workflow_id,
                    "signal_name": "team_created",
                    "transform": "{id: .id}",
                },
            )
            committed = _commit_at_rate(tenancy, admin, org, WARM_UP + count)
            handled = _wait_handled(timer, workflow_id, set(committed))
            raw = timer.signal_call_ms(workflow_id, count)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        sandbox.close()
        store.close()
    measured = list(committed)[WARM_UP:]
    latencies = [(handled[k] - committed[k]) * 1000 for k in measured if k in handled]
    return {
        "events": len(measured),
        "lost": len(measured) - len(latencies),
        "rate_per_s": RATE_PER_SECOND,
        "routed": {"p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99)},
        "raw_signal": {"p50_ms": percentile(raw, 50), "p99_ms": percentile(raw, 99)},
    }


def _commit_at_rate(tenancy, admin, org: str, count: int) -> dict[str, float]:
    """Each event's CloudEvent id -> when its commit returned (wall clock, seconds)."""
    committed: dict[str, float] = {}
    started = time.monotonic()
    for n in range(count):
        team = tenancy.hierarchy.create_team(admin, org, f"Team {n}")
        committed[event_id(team.guid, 1)] = time.time()
        time.sleep(max(0.0, started + (n + 1) / RATE_PER_SECOND - time.monotonic()))
    return committed


def _wait_handled(timer: _Timer, workflow_id: str, wanted: set[str]) -> dict[str, float]:
    deadline = time.monotonic() + 120
    while True:
        handled = timer.handled_at(workflow_id)
        if wanted <= set(handled) or time.monotonic() > deadline:
            return handled
        time.sleep(0.5)


def _wait_for_consumer(nats_url: str, creds: str) -> None:
    async def exists() -> bool:
        nc = await nats.connect(
            nats_url, user_credentials=creds, connect_timeout=2, max_reconnect_attempts=0
        )
        try:
            await nc.jetstream().consumer_info("SIGNALYARD", ConsumerSettings().durable)
            return True
        except Exception:
            return False
        finally:
            await nc.close()

    deadline = time.monotonic() + 120
    while not asyncio.run(exists()):
        if time.monotonic() > deadline:
            raise RuntimeError("the router did not start (see its log in the bench dir)")
        time.sleep(0.2)
