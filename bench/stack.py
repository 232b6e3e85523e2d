"""Everything measured against a running `signalyard dev` tree: the command API against
the bare endpoint, projection lag under load, catch-up, latencies as the store grows (in
turns with a second tree on a store kept small, bench/growth.py), RSS, and a py-spy
profile of the API process under the 64-connection load."""

from __future__ import annotations

import time
from pathlib import Path
from uuid import UUID

import httpx
import psutil
import psycopg

from bench import growth, load, reads_under_load
from bench.populate import Tenant, head, populate, wait_for_projections
from bench.sampling import LagSampler, profile_api, profile_summary
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
    handle = profile_api(api_proc.pid, 5 if quick else 10, profile_dir / "api-profile")
    if handle is not None:
        time.sleep(0.5)
        load.run_load(
            api_url, connections=64, seconds=(5 if quick else 10) - 0.5, token=tenant.token
        )
    out["profile"] = profile_summary(handle)
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
