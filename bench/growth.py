"""Latency as the store grows, compared in the same window: at each size the grown store
and a reference store held at the smallest size (a second `signalyard dev` tree on a
second database) take turns, one short trial each (reference, grown, reference, grown,
...), so both see the same background load on a shared machine. Per store and load: the
median over trials of p50 and of p99; the ratios grown / reference are of those medians."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx

from bench import load
from bench.populate import Tenant
from bench.servers import Server, start_dev
from bench.stats import median

CONNECTIONS = 16
LOADS = ("command", "read_one", "read_list")


def target(server: Server, tenant: Tenant, key: str) -> tuple[str, str]:
    """URL and method of a load: create project, get project, list projects (page 50)."""
    path = server.base_url + tenant.projects_path
    if key == "command":
        return path, "POST"
    if key == "read_one":
        return f"{path}/{tenant.project}", "GET"
    return f"{path}?page_size=50", "GET"


@contextmanager
def running(url: str) -> Iterator[Server]:
    """A `signalyard dev` tree on `url` for the length of the block (~200 MB, some CPU)."""
    server = start_dev(url)
    try:
        yield server
    finally:
        server.stop()


def warm(server: Server, tenant: Tenant, requests: int = 64) -> None:
    """A few requests of each load over 16 connections (pools, prepared statements, caches),
    so a tree started for this window does not spend its first trial warming up."""
    prefix = uuid.uuid4().hex[:8]
    settings = {"max_parallel": 4, "labels": ["bench"]}

    def send(key: str, i: int) -> None:
        url, method = target(server, tenant, key)
        body = {"name": f"warm-{prefix}-{i}", "description": "warm-up", "settings": settings}
        client.request(method, url, json=body if method == "POST" else None)

    with (
        httpx.Client(
            headers={"Authorization": f"Bearer {tenant.token}"},
            limits=httpx.Limits(max_connections=CONNECTIONS),
            timeout=30,
        ) as client,
        ThreadPoolExecutor(CONNECTIONS) as pool,
    ):
        for key in LOADS:
            list(pool.map(lambda i, key=key: send(key, i), range(requests)))


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def summary(trials: list[dict]) -> dict:
    return {
        "p50_ms": median([t["p50_ms"] for t in trials]),
        "p99_ms": median([t["p99_ms"] for t in trials]),
        "rps": median([t["rps"] for t in trials]),
        "requests": sum(t["requests"] for t in trials),
        "errors": sum(t["errors"] for t in trials),
        "trials": trials,
    }


def alternate(
    reference: tuple[Server, Tenant], grown: tuple[Server, Tenant], *, trials: int, seconds: float
) -> dict:
    """Each load as `trials` rounds of one trial on the reference then one on the grown store."""
    stores = {"reference": reference, "grown": grown}
    out: dict = {}
    for key in LOADS:
        runs: dict[str, list[dict]] = {name: [] for name in stores}
        for _ in range(trials):
            for name, (server, tenant) in stores.items():
                url, method = target(server, tenant, key)
                result = load.run_load(
                    url, connections=CONNECTIONS, seconds=seconds, token=tenant.token, method=method
                )
                runs[name].append(result.as_dict())
        ref, big = summary(runs["reference"]), summary(runs["grown"])
        out[key] = {
            "grown": big,
            "reference": ref,
            "ratio_p50": _ratio(big["p50_ms"], ref["p50_ms"]),
            "ratio_p99": _ratio(big["p99_ms"], ref["p99_ms"]),
        }
    return out
