"""The dispatch figures of the tasks section: submit -> running, tasks completed per second
end to end, the local runtime alone (the limit of both), and a dispatcher's memory with 50
running attempts.

Times come from the events' own timestamps, as the tasks read model's timeline keeps them
(`rm_tasks.task_timeline.at`: stamped when the dispatcher's command made the event, just
before its commit), against this process's wall clock when the submit's 202 arrived; one
machine, one clock.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import psycopg

from bench.populate import head
from bench.stats import percentile
from workers.adapters.logstore import FileLogStore
from workers.runtimes.interface import Exited, Killed
from workers.runtimes.local.runtime import LocalRuntime
from workers.runtimes.spec import LaunchSpec

NOOP = "bench/noop:1"
SLEEP = "bench/sleep:1"
TERMINAL = ("succeeded", "failed", "cancelled", "timed_out")
BRIEF = "Nothing to do: the benchmark's no-op agent."


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def _spread(values: list[float]) -> dict:
    return {"p50_ms": percentile(values, 50), "p99_ms": percentile(values, 99), "n": len(values)}


class Submitter:
    """Task submits over the API; each answer's guid with when it was sent and when its 202
    arrived (wall clock, seconds)."""

    def __init__(self, client: httpx.Client, url: str) -> None:
        self.client, self.url = client, url

    def one(self, image: str = NOOP) -> tuple[str, float, float]:
        sent = time.time()
        answer = self.client.post(self.url, json={"brief": BRIEF, "agent_image": image})
        answered = time.time()
        if answer.status_code != 202:
            raise RuntimeError(f"submit answered {answer.status_code}: {answer.text[:300]}")
        return answer.json()["guid"], sent, answered

    def many(self, count: int, image: str = NOOP, threads: int = 16) -> list[tuple]:
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(lambda _: self.one(image), range(count)))


def drain(url: str, timeout: float) -> dict:
    """Until every task the read model holds has ended and it has seen the whole log."""
    started = time.perf_counter()
    query = (
        "SELECT count(*) FILTER (WHERE status <> ALL(%s)), count(*),"
        " (SELECT position FROM rm_tasks._tracking) FROM rm_tasks.tasks"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            live, total, position = conn.execute(query, [list(TERMINAL)]).fetchone()
            if live == 0 and position >= head(url):
                return {"tasks": total, "seconds": time.perf_counter() - started}
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"{live} of {total} tasks still live after {timeout:.0f} s")
            time.sleep(0.2)


def timeline(url: str, guids: list[str]) -> dict[str, dict[str, float]]:
    """guid -> status -> when the task first moved to it (epoch seconds)."""
    out: dict[str, dict[str, float]] = {g: {} for g in guids}
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT task_id::text, status, extract(epoch FROM at)::float8"
            " FROM rm_tasks.task_timeline WHERE task_id = ANY(%s::uuid[]) ORDER BY position",
            [guids],
        ).fetchall()
    for guid, status, at in rows:
        if status is not None:
            out[guid].setdefault(status, at)
    return out


def _ended(moves: dict[str, float]) -> float | None:
    return min((moves[s] for s in TERMINAL if s in moves), default=None)


def latency(submit: Submitter, url: str, *, count: int) -> dict:
    """Submits one at a time, each once the one before is running (so none waits behind
    another): 202 -> running, split at the claim (the dispatched event)."""
    load_start = load_average()
    sent = []
    with psycopg.connect(url, autocommit=True) as conn:
        for n in range(3 + count):  # the first 3 warm (the consumer, the runtime's spawn)
            one = submit.one()
            if n >= 3:
                sent.append(one)
            deadline = time.monotonic() + 120
            while (
                time.monotonic() < deadline
                and not conn.execute(
                    "SELECT 1 FROM rm_tasks.tasks WHERE guid = %s AND status <> ALL(%s)",
                    [one[0], ["pending", "queued", "dispatched"]],
                ).fetchone()
            ):
                time.sleep(0.02)
    drain(url, timeout=600)
    moves = timeline(url, [s[0] for s in sent])
    whole, to_claim, claim_to_run, answer = [], [], [], []
    for guid, posted, answered in sent:
        m = moves[guid]
        answer.append((answered - posted) * 1000)
        if "running" in m and "dispatched" in m:
            whole.append((m["running"] - answered) * 1000)
            to_claim.append((m["dispatched"] - answered) * 1000)
            claim_to_run.append((m["running"] - m["dispatched"]) * 1000)
    return {
        "submit_to_running": _spread(whole),
        "submit_to_claimed": _spread(to_claim),
        "claimed_to_running": _spread(claim_to_run),
        "submit_answer": _spread(answer),
        "never_ran": count - len(whole),
        "load_average": [load_start, load_average()],
    }


def _peak(intervals: list[tuple[float, float]]) -> int:
    edges = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals])
    level = peak = 0
    for _, step in edges:
        level += step
        peak = max(peak, level)
    return peak


def throughput(submit: Submitter, url: str, *, count: int, concurrent: int) -> dict:
    """`count` no-op tasks submitted at once (16 connections); completed per second from
    the first submit to the last task's end, with the dispatcher allowed `concurrent`."""
    load_start = load_average()
    started = time.time()
    sent = submit.many(count)
    submitted = time.time()
    drain(url, timeout=3600)
    moves = timeline(url, [s[0] for s in sent])
    ends = {g: _ended(m) for g, m in moves.items()}
    claims = [m["dispatched"] for m in moves.values() if "dispatched" in m]
    last = max(e for e in ends.values() if e is not None)
    statuses: dict[str, int] = {}
    for m in moves.values():
        final = next((s for s in TERMINAL if s in m), "none")
        statuses[final] = statuses.get(final, 0) + 1
    held = [(m["dispatched"], ends[g]) for g, m in moves.items() if "dispatched" in m and ends[g]]
    running = [(m["running"], ends[g]) for g, m in moves.items() if "running" in m and ends[g]]
    return {
        "tasks": count,
        "max_concurrent": concurrent,
        "completed_per_s": count / (last - started),
        "dispatched_per_s": count / (last - min(claims)),
        "submitted_per_s": count / (submitted - started),
        "seconds": last - started,
        "statuses": statuses,
        "peak_claimed_or_running": _peak(held),
        "peak_running": _peak(running),
        "load_average": [load_start, load_average()],
    }


def runtime_alone(*, count: int, concurrent: int, starts: int) -> dict:
    """The limit: the same no-op agent on a LocalRuntime in this process (as the dispatcher
    builds it, root's isolation included; no database, no bus): `start` alone, one at a time,
    then `count` agents started and watched to their exit, `concurrent` at a time."""
    return asyncio.run(_runtime_alone(count, concurrent, starts))


async def _runtime_alone(count: int, concurrent: int, starts: int) -> dict:
    base = Path(tempfile.mkdtemp(prefix="signalyard-bench-runtime-"))
    base.chmod(0o755)  # attempts with user ids of their own traverse it
    runtime = LocalRuntime(
        base / "runtime",
        FileLogStore(base / "logs"),
        image_commands={NOOP: ("/bin/true",)},
        uid_base=300_000,  # not the dev tree's dispatcher's range
    )
    load_start = load_average()

    async def one(n: int) -> float:
        spec = LaunchSpec("bench", "bench", f"t{n}", 1, NOOP, brief=BRIEF)
        t0 = time.perf_counter()
        handle = await runtime.start(spec)
        spent = (time.perf_counter() - t0) * 1000
        async for change in runtime.watch(handle):
            if isinstance(change, Exited | Killed):
                break
        return spent

    start_ms = [await one(n) for n in range(starts)]
    gate = asyncio.Semaphore(concurrent)

    async def gated(n: int) -> None:
        async with gate:
            await one(n)

    began = time.perf_counter()
    await asyncio.gather(*(gated(starts + n) for n in range(count)))
    seconds = time.perf_counter() - began
    return {
        "start": _spread(start_ms),
        "agents": count,
        "concurrent": concurrent,
        "completed_per_s": count / seconds,
        "load_average": [load_start, load_average()],
    }


def memory(submit: Submitter, url: str, dispatcher: psutil.Process, *, running: int) -> dict:
    """The dispatcher's RSS idle, then with `running` sleeping attempts: the process alone,
    and its children (the attempts: `unshare` and the agent each, as root) in total."""
    load_start = load_average()
    idle = max(_sample(dispatcher)["rss_mb"] for _ in range(5))
    sent = submit.many(running, SLEEP)
    guids = [s[0] for s in sent]
    deadline = time.monotonic() + 300
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            now = conn.execute(
                "SELECT count(*) FROM rm_tasks.tasks WHERE status = 'running'"
                " AND guid = ANY(%s::uuid[])",
                [guids],
            ).fetchone()[0]
            if now >= running:
                break
            time.sleep(0.2)
    samples = []
    for _ in range(5):
        samples.append(_sample(dispatcher))
        time.sleep(0.4)
    return {
        "idle_rss_mb": idle,
        "running": now,
        "rss_mb": max(s["rss_mb"] for s in samples),
        "children": max(s["children"] for s in samples),
        "children_rss_mb": max(s["children_rss_mb"] for s in samples),
        "children_pss_mb": max(s["children_pss_mb"] for s in samples),
        "load_average": [load_start, load_average()],
    }


def _sample(process: psutil.Process) -> dict:
    children = process.children(recursive=True)
    rss = pss = 0
    for child in children:
        try:
            info = child.memory_full_info()
        except psutil.Error:
            continue
        rss, pss = rss + info.rss, pss + info.pss
    return {
        "rss_mb": process.memory_info().rss / 2**20,
        "children": len(children),
        "children_rss_mb": rss / 2**20,
        "children_pss_mb": pss / 2**20,
    }
