"""What the stack benchmark samples beside its load: the projections' live lag, and a
py-spy profile of the API."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg

from signalyard import bootstrap

PROJECTIONS = [p.name for p in bootstrap.read_models()]


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


def profile_api(pid: int, seconds: float, out: Path) -> dict | None:
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


def profile_summary(handle: dict | None) -> dict | None:
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
