"""The relay: catch-up rate over a log of N events beside a raw publish-with-ack from Python
to the same NATS server (the limit), and commit -> JetStream latency under the
16-connection create load of a `signalyard dev` tree (which runs the relay)."""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import orjson

from bench import load
from bench.populate import Tenant, head, populate
from bench.servers import start_dev
from bench.stack import setup_tenant
from bench.stats import percentile
from projections.engine.log import EventLog
from projections.engine.runner import ProjectionRunner
from signalyard import bootstrap
from signalyard.embedded import EmbeddedNats
from signalyard.runtime import settle_gc
from signalyard.settings import Settings
from workers.adapters.bus import BusConfig, connect, ensure_stream
from workers.relay.acks import AckMux
from workers.relay.follower import RelayFollower
from workers.relay.publisher import JetStreamPublisher

WINDOW = 500  # messages in flight: the relay's batch size


def catch_up(url: str, nats_url: str, events: int) -> dict:
    """Fill the log to `events`, then time a fresh relay publishing all of it."""
    settings = Settings(database_url=url, bootstrap_token="syd_bench_relay_0123456789abcdefgh")
    bootstrap.prepare(settings)
    store = bootstrap.build_store(settings, url)
    ids = [uuid.uuid4() for _ in range(3)]
    tenant = Tenant("", "bench", "core", "main", *ids, "p")
    try:
        filled = populate(store, tenant, url, events)
        log = EventLog(store)
        total = log.head()
        settle_gc()
        config = BusConfig(url=nats_url, stream="BENCH_RELAY", subject_prefix="benchrelay")
        publisher = JetStreamPublisher(config)
        try:
            with ProjectionRunner(url, RelayFollower(publisher), log) as relay:
                started = time.perf_counter()
                relay.run_until(total, timeout=3600)
                seconds = time.perf_counter() - started
            stored = asyncio.run(_stream_size(config))
        finally:
            publisher.close()
        return {
            "log_events": total,
            "published": stored["messages"],
            "seconds": seconds,
            "events_per_s": total / seconds,
            "published_per_s": stored["messages"] / seconds,
            "mean_bytes": stored["bytes"] / max(stored["messages"], 1),
            "populate_seconds": filled["seconds"],
        }
    finally:
        store.close()


async def _stream_size(config: BusConfig) -> dict:
    nc = await connect(config, name="bench")
    try:
        state = (await nc.jetstream().stream_info(config.stream)).state
        return {"messages": state.messages, "bytes": state.bytes}
    finally:
        await nc.close()


async def raw_publish(nats_url: str, messages: int, size: int) -> dict:
    """`nats bench`-style: the same number of messages of the relay's mean size, published
    from Python with acks, WINDOW in flight, on a stream of its own."""
    config = BusConfig(url=nats_url, stream="BENCH_RAW", subject_prefix="benchraw")
    nc = await connect(config, name="bench-raw")
    try:
        await ensure_stream(nc.jetstream(), config)
        acks = AckMux(nc)
        await acks.start()
        body = orjson.dumps({"pad": "x" * max(size - 12, 0)})
        started = time.perf_counter()
        for first in range(0, messages, WINDOW):
            futures = [
                await acks.send("benchraw.org.thing.made", body, {"Nats-Msg-Id": f"m{n}"})
                for n in range(first, min(first + WINDOW, messages))
            ]
            for future in futures:
                await future
        seconds = time.perf_counter() - started
        return {"messages": messages, "seconds": seconds, "per_s": messages / seconds}
    finally:
        await nc.close()


class ArrivalSampler:
    """Subscribes to the bus and records, per event, arrival minus the CloudEvent's time."""

    def __init__(self, nats_url: str) -> None:
        self.config = BusConfig(url=nats_url)
        self.latencies_ms: list[float] = []
        self._stop = threading.Event()
        self._recording = False
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def __enter__(self) -> ArrivalSampler:
        self._thread.start()
        return self

    def record(self, on: bool) -> None:
        self._recording = on

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    async def _run(self) -> None:
        nc = await connect(self.config, name="bench-arrivals")
        try:
            sub = await nc.subscribe(f"{self.config.subject_prefix}.>")
            while not self._stop.is_set():
                try:
                    msg = await sub.next_msg(timeout=0.2)
                except Exception:  # noqa: BLE001 - a timeout: look at the stop flag
                    continue
                arrived = time.time()
                if self._recording:
                    sent = datetime.fromisoformat(orjson.loads(msg.data)["time"]).timestamp()
                    self.latencies_ms.append((arrived - sent) * 1000)
        finally:
            await nc.close()


def latency_under_load(db, nats_url: str, *, seconds: float) -> dict:
    """Commit -> JetStream: a core-NATS subscriber on the stream's subjects sees each event
    as JetStream stores it; the CloudEvent's `time` is stamped when the command made the
    event, just before its commit (so the figure slightly overstates commit -> stored)."""
    url = db.new_database("relay_latency")
    dev = start_dev(url, NATS_URL=nats_url)
    try:
        tenant = setup_tenant(dev.base_url)
        path = dev.base_url + tenant.projects_path
        load.run_load(path, connections=8, seconds=1.0, token=tenant.token)  # warm
        with ArrivalSampler(nats_url) as sampler:
            time.sleep(1.0)
            sampler.record(True)
            result = load.run_load(path, connections=16, seconds=seconds, token=tenant.token)
            time.sleep(1.0)
            sampler.record(False)
        lat = sampler.latencies_ms
        return {
            "creates": result.as_dict(),
            "events": len(lat),
            "p50_ms": percentile(lat, 50),
            "p99_ms": percentile(lat, 99),
            "log_head": head(url),
        }
    finally:
        dev.stop()
        db.drop(url)


def run(db, *, quick: bool) -> dict:
    events = 30_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory(prefix="signalyard-bench-nats-") as tmp:
        with EmbeddedNats(Path(tmp) / "nats") as nats_server:
            url = db.new_database("relay")
            try:
                relay = catch_up(url, nats_server.url, events)
            finally:
                db.drop(url)
            raw = asyncio.run(
                raw_publish(nats_server.url, relay["published"], int(relay["mean_bytes"]))
            )
            latency = latency_under_load(db, nats_server.url, seconds=3.0 if quick else 10.0)
    return {"catch_up": relay, "raw_publish": raw, "latency": latency}
