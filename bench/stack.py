"""Everything measured against a running `signalyard dev` tree: the command API against
the bare endpoint, projection lag under load, catch-up, latencies as the store grows (in
turns with a second tree on a store kept small, bench/growth.py), RSS, and a py-spy
profile of the API process under the 64-connection load."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from uuid import UUID

import httpx
import psutil
import psycopg

from bench import growth, load, reads_under_load
from bench.populate import Tenant, head, populate, wait_for_projections
from bench.servers import (
    BOOTSTRAP_TOKEN,
    CpuSplit,
    RssSampler,
    api_child,
    start_bare,
    start_dev,
    start_floor,
)
from bench.stats import median, percentile
from projections.engine import rebuild
from signalyard import bootstrap
from signalyard.settings import Settings

QUICK_SIZES = [10_000, 30_000]
FULL_SIZES = [10_000, 100_000, 1_000_000]
PROJECTIONS = [p.name for p in bootstrap.read_models()]


def setup_tenant(base_url: str) -> Tenant:
    admin = httpx.Client(
        base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {BOOTSTRAP_TOKEN}"}
    )
    user = admin.post("/v1/users", json={"name": "Bench", "slug": "bench"})
    user.raise_for_status()
    issued = admin.post(f"/v1/users/{user.json()['guid']}/tokens", json={"name": "bench"})
    issued.raise_for_status()
    token = issued.json()["token"]
    # An ordinary user who owns the org: every command runs the membership checks.
    api = httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"})
    org = api.post("/v1/orgs", json={"name": "Bench Org"}).raise_for_status().json()
    team = api.post(f"/v1/orgs/{org['slug']}/teams", json={"name": "Platform"})
    team = team.raise_for_status().json()
    ws = api.post(f"/v1/orgs/{org['slug']}/teams/{team['slug']}/workspaces", json={"name": "Main"})
    ws = ws.raise_for_status().json()
    path = f"/v1/orgs/{org['slug']}/teams/{team['slug']}/workspaces/{ws['slug']}/projects"
    api.post(path, json={"name": "Reader"}).raise_for_status()
    return Tenant(
        token,
        org["slug"],
        team["slug"],
        ws["slug"],
        UUID(org["guid"]),
        UUID(team["guid"]),
        UUID(ws["guid"]),
        "reader",
    )


class LagSampler:
    """Every 5 ms: the log's head and the slowest read model's position. The live lag of a
    head sample is the time until a later sample shows every read model at or past it
    (resolution: the sampling interval)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        positions = ", ".join(f'(SELECT position FROM "rm_{n}"._tracking)' for n in PROJECTIONS)
        self.query = (
            "SELECT (SELECT max(notification_id) FROM eventstore.signalyard_events),"
            f" least({positions})"
        )

    def __enter__(self) -> LagSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            cur = conn.cursor()
            while not self._stop.is_set():
                cur.execute(self.query, prepare=True)
                h, p = cur.fetchone()
                self.samples.append((time.perf_counter(), int(h or 0), int(p or 0)))
                self._stop.wait(0.005)

    def lags_ms(self) -> list[float]:
        lags, j = [], 0
        samples = self.samples
        for i, (t, h, _) in enumerate(samples):
            j = max(j, i)
            while j < len(samples) and samples[j][2] < h:
                j += 1
            if j == len(samples):
                break
            lags.append((samples[j][0] - t) * 1000)
        return lags


def _profile(pid: int, seconds: float, out: Path) -> dict | None:
    """py-spy over the API process while the caller runs load; top self-time frames."""
    exe = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not exe:
        return None
    raw = out.with_suffix(".txt")
    proc = subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",  # the API's uvicorn workers
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(raw),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return {"proc": proc, "raw": raw}


def _profile_summary(handle: dict | None) -> dict | None:
    if handle is None:
        return None
    proc = handle["proc"]
    _, err = proc.communicate(timeout=120)
    raw: Path = handle["raw"]
    if proc.returncode or not raw.exists():
        return {"error": err.strip()[-500:]}
    buckets = {
        "event store reads (prefetch, select_events)": (
            "select_events (",
            "batch_reader_for",
            "EventStore.prefetch",
        ),
        "event store append (group commit)": ("insert_events (",),
        "blocked on Postgres (psycopg Connection.wait)": ("Connection.wait (",),
        "idle worker threads (Queue.get)": ("Queue.get (",),
        "event loop thread (uvicorn Server.run)": ("Server.run (",),
        "pydantic": ("pydantic",),
    }
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    shares: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_short(f) for f in stack.split(";")]
        self_time[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
        for label, key in buckets.items():
            if any(k in f for f in frames for k in key):
                shares[label] += n
    if not total:
        return {"error": "no samples"}

    def top(counter: Counter[str], k: int) -> list[tuple[str, float]]:
        return [(f, round(100 * n / total, 1)) for f, n in counter.most_common(k)]

    return {
        "samples": total,
        "raw_file": str(raw),
        "top_self": top(self_time, 12),
        "top_inclusive": top(inclusive, 30),
        "share_pct": {label: round(100 * shares[label] / total, 1) for label in buckets},
    }


def _short(frame: str) -> str:
    # py-spy raw frames: "function (path/to/file.py:line)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path, _, _ = where.rpartition(":")
    for marker in ("site-packages/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


def http_compare(
    dev, api_proc, bare, tenant: Tenant, url: str, *, quick: bool, profile_dir: Path
) -> dict:
    seconds = 3.0 if quick else 10.0
    api_url = dev.base_url + tenant.projects_path
    bare_url = bare.base_url + tenant.projects_path
    floor = start_floor(url, str(tenant.org_id), str(tenant.team_id), str(tenant.ws_id))
    floor_url = floor.base_url + tenant.projects_path
    # Warm all three (imports, pools, prepared statements).
    load.run_load(api_url, connections=8, seconds=1.0, token=tenant.token)
    load.run_load(bare_url, connections=8, seconds=1.0)
    load.run_load(floor_url, connections=8, seconds=1.0)
    out: dict = {}
    dev_proc = psutil.Process(dev.pid)
    try:
        for connections in (16, 64):
            urls = {"api": api_url, "bare": bare_url, "floor": floor_url}
            out[f"c{connections}"] = _http_trials(
                connections, seconds, urls, tenant.token, api_proc, floor, dev_proc, url
            )
    finally:
        floor.stop()
    # A profile of the API under the 64-connection load (a separate run: py-spy costs).
    handle = _profile(api_proc.pid, 5 if quick else 10, profile_dir / "api-profile")
    if handle is not None:
        time.sleep(0.5)
        load.run_load(
            api_url, connections=64, seconds=(5 if quick else 10) - 0.5, token=tenant.token
        )
    out["profile"] = _profile_summary(handle)
    return out


def _http_trials(
    connections: int,
    seconds: float,
    urls: dict[str, str],
    token: str,
    api_proc: psutil.Process,
    floor,
    dev_proc: psutil.Process,
    url: str,
) -> dict:
    """One connection count: the bare endpoint, the API (latency, RSS, CPU split), the API
    again for the live projection lag, then the storage floor (its CPU split too: its own
    processes, the dev tree's projection runners, Postgres)."""
    api_url = urls["api"]
    bare_result = load.run_load(urls["bare"], connections=connections, seconds=seconds)
    with RssSampler(api_proc, dev_proc) as rss, CpuSplit(api_proc, dev_proc) as cpu:
        api_result = load.run_load(api_url, connections=connections, seconds=seconds, token=token)
    # The live lag under the same load, in a trial of its own: the sampler's queries
    # (every 5 ms) would otherwise load the machine during the API's latency trial and
    # not during the bare endpoint's.
    with LagSampler(url) as lag:
        load.run_load(api_url, connections=connections, seconds=seconds, token=token)
    lags = lag.lags_ms()
    # The floor last, and the projections caught up after it: its writes are projected by
    # the same runners, whose backlog must not land in the next API trial.
    with CpuSplit(psutil.Process(floor.pid), dev_proc) as floor_cpu:
        floor_result = load.run_load(urls["floor"], connections=connections, seconds=seconds)
    wait_for_projections(url, head(url), PROJECTIONS, timeout=600)
    return {
        "api_cpu_ms_per_request": _per_request(cpu, api_result),
        "floor_cpu_ms_per_request": _per_request(floor_cpu, floor_result),
        "bare": bare_result.as_dict(),
        "floor": floor_result.as_dict(),
        "floor_cpu_share_pct": floor_cpu.shares,
        "api": api_result.as_dict(),
        "api_peak_rss_mb": rss.peak_process,
        "api_processes_peak_rss_mb": rss.peak_api_total,
        "dev_tree_peak_rss_mb": rss.peak_tree,
        "lag_ms_p50": percentile(lags, 50),
        "lag_ms_p99": percentile(lags, 99),
        "lag_samples": len(lags),
        "cpu_share_pct": cpu.shares,
    }


def _per_request(cpu: CpuSplit, result: load.LoadResult) -> dict:
    """The window's CPU shares (% of cores x wall) as ms of CPU per request, for the named
    processes."""
    n = max(result.requests, 1)
    keep = ("api", "dev tree (projections, supervisor)", "postgres", "load generator")
    return {k: round(cpu.shares[k] / 100 * cpu.capacity_ms / n, 3) for k in keep}


def settle(url: str) -> None:
    """Before measuring at a size: flush the bulk load's dirty pages (CHECKPOINT) and
    refresh planner statistics, as a store that grew over days would have; otherwise the
    measurement at 10^6 runs beside the checkpoint of a 700 MB load."""
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            conn.execute("CHECKPOINT")  # needs superuser or pg_checkpoint (DATABASE_URL)
        except psycopg.errors.InsufficientPrivilege:
            pass
        conn.execute("ANALYZE")


def catch_up(url: str, limit: int) -> dict:
    """Each read model rebuilt from the start of the log into a scratch schema, with the
    rebuild's own batch loop (projections.engine.apply.apply_batch, in transactions of the
    rebuild's batch size), over the first `limit` events (or the whole log if shorter);
    the scratch is dropped."""
    from projections.engine.log import EventLog
    from projections.engine.runner import connect
    from signalyard.runtime import settle_gc

    settings = Settings(database_url=url)
    store = bootstrap.build_store(settings, url)
    settle_gc()  # as `signalyard projections rebuild` does after start-up
    try:
        log = EventLog(store)
        total = min(log.head(), limit)
        out: dict = {"events": total, "log_head": log.head()}
        for projection in bootstrap.read_models():
            scratch = f"bench_catchup_{projection.name}"
            with connect(url, "bench-catch-up") as conn:
                rebuild.start_fresh(conn, projection, scratch)
                t0 = time.perf_counter()
                done = rebuild.build_from_log(conn, projection, scratch, log, until=total).count
                seconds = time.perf_counter() - t0
                conn.execute(f'DROP SCHEMA IF EXISTS "{scratch}" CASCADE')
            out[projection.name] = {
                "events": done,
                "seconds": seconds,
                "events_per_s": done / seconds,
            }
        return out
    finally:
        store.close()


def fill_reference(url: str, tenant: Tenant, size: int) -> dict:
    """The reference store grown to `size` like the main one (own store object, closed)."""
    store = bootstrap.build_store(Settings(database_url=url), url)
    try:
        filled = populate(store, tenant, url, size)
    finally:
        store.close()
    caught = wait_for_projections(url, filled["head"], PROJECTIONS, timeout=1800)
    settle(url)
    return {"populate": filled, "projections_caught_up_after_s": caught}


def run(db, *, quick: bool, results_dir: Path) -> dict:
    url = db.new_database("stack")
    ref_url = db.new_database("reference")
    dev = start_dev(url)
    bare = start_bare()
    store = None
    out: dict = {}
    try:
        api_proc = api_child(dev)
        tenant = setup_tenant(dev.base_url)
        settings = Settings(database_url=url)
        store = bootstrap.build_store(settings, url)
        sizes = QUICK_SIZES if quick else FULL_SIZES
        # Per load, size and store: 2 (quick) or 5 trials of 1 s (wrk takes whole seconds).
        trials, trial_seconds = (2, 1.0) if quick else (5, 1.0)
        reference: Tenant | None = None
        by_size = {}
        for index, size in enumerate(sizes):
            filled = populate(store, tenant, url, size)
            caught = wait_for_projections(url, filled["head"], PROJECTIONS, timeout=1800)
            settle(url)
            at: dict = {
                "target": size,
                "events": head(url),
                "populate": filled,
                "projections_caught_up_after_s": caught,
            }
            # The reference tree runs only in this window: nothing else measures beside it.
            with growth.running(ref_url) as ref_dev:
                if reference is None:
                    reference = setup_tenant(ref_dev.base_url)
                    at["reference_fill"] = fill_reference(ref_url, reference, sizes[0])
                at["reference_events"] = head(ref_url)
                growth.warm(ref_dev, reference)
                growth.warm(dev, tenant)
                at.update(
                    growth.alternate(
                        (ref_dev, reference),
                        (dev, tenant),
                        trials=trials,
                        seconds=trial_seconds,
                    )
                )
            by_size[str(size)] = at
            if index == 0:
                out["http"] = http_compare(
                    dev, api_proc, bare, tenant, url, quick=quick, profile_dir=results_dir
                )
                out["reads"] = reads_under_load.run(
                    dev.base_url, tenant, seconds=2.0 if quick else 5.0
                )
        out["growth"] = by_size
        out["catch_up"] = catch_up(url, 5_000 if quick else 100_000)
        from bench import reconstruct

        out["reconstruct"] = reconstruct.run(store, quick=quick)
        out["api_rss_mb_now"] = api_proc.memory_info().rss / 2**20
    finally:
        if store is not None:
            store.close()
        bare.stop()
        dev.stop()
        db.drop(url)
        db.drop(ref_url)
    return out


__all__ = ["run", "median"]
