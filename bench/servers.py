"""Processes under test: the `signalyard dev` tree (API + projection runners) on a bench
database, and the bare FastAPI endpoint on the same uvicorn settings; plus RSS sampling."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

BOOTSTRAP_TOKEN = "syd_bench_admin_token_0123456789abcdef0123"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(base_url: str, proc: subprocess.Popen, timeout: float = 300.0) -> None:
    # Minutes, not seconds: on a busy shared machine (load average 30 on 2 cores) a server's
    # imports alone took more than 90 s.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(base_url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base_url} did not become healthy")


class Server:
    def __init__(self, proc: subprocess.Popen, base_url: str, log: Path) -> None:
        self.proc, self.base_url, self.log = proc, base_url, log

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _spawn(args: list[str], env: dict[str, str], name: str) -> tuple[subprocess.Popen, Path]:
    log = Path(tempfile.mkstemp(prefix=f"signalyard-bench-{name}-", suffix=".log")[1])
    with log.open("w") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    return proc, log


def start_dev(database_url: str, **env_overrides: str) -> Server:
    """`signalyard dev` on an existing database (DATABASE_URL), like an operator runs it."""
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="signalyard-bench-dev-")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SIGNALYARD_PORT": str(port),
        "SIGNALYARD_DATA_DIR": data_dir,
        "SIGNALYARD_BOOTSTRAP_TOKEN": BOOTSTRAP_TOKEN,
        "SIGNALYARD_LOG_LEVEL": "warning",
        **env_overrides,
    }
    proc, log = _spawn([sys.executable, "-m", "signalyard", "dev"], env, "dev")
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    try:
        wait_healthy(server.base_url, proc)
    except RuntimeError:
        server.stop()  # never leave a tree behind
        raise
    return server


def start_bare() -> Server:
    port = free_port()
    env = {**os.environ, "BENCH_PORT": str(port)}
    proc, log = _spawn([sys.executable, "-m", "bench.bare_app"], env, "bare")
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    wait_healthy(server.base_url, proc)
    return server


def start_floor(database_url: str, org_id: str, team_id: str, ws_id: str) -> Server:
    """The storage floor (bench/floor_app.py) on the database `signalyard dev` follows."""
    port = free_port()
    env = {
        **os.environ,
        "BENCH_PORT": str(port),
        "DATABASE_URL": database_url,
        "BENCH_ORG_ID": org_id,
        "BENCH_TEAM_ID": team_id,
        "BENCH_WS_ID": ws_id,
    }
    proc, log = _spawn([sys.executable, "-m", "bench.floor_app"], env, "floor")
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    wait_healthy(server.base_url, proc)
    return server


def family(proc: psutil.Process) -> list[psutil.Process]:
    """A process and its children: the API is uvicorn's parent and its worker processes."""
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return [proc]


def dev_child(dev: Server, *command: str) -> psutil.Process:
    """The process of `signalyard dev` running `signalyard <command...>`."""
    for child in psutil.Process(dev.pid).children(recursive=True):
        try:
            line = child.cmdline()
        except psutil.Error:
            continue
        if line[-len(command) :] == list(command) and "signalyard" in line:
            return child
    raise RuntimeError(f"no {' '.join(command)} process under signalyard dev")


def api_child(dev: Server) -> psutil.Process:
    return dev_child(dev, "api")


def tree_rss(root: psutil.Process) -> float:
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


class RssSampler:
    """Peak RSS (MB), sampled every 100 ms: of the largest process of the API (its parent or
    one of its workers), of the API's processes together, and of the whole dev tree."""

    def __init__(self, process: psutil.Process, tree_root: psutil.Process) -> None:
        self.process, self.tree_root = process, tree_root
        self.peak_process = 0.0
        self.peak_api_total = 0.0
        self.peak_tree = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self.peak_process = self.peak_api_total = self.peak_tree = 0.0
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            sizes = []
            for proc in family(self.process):
                try:
                    sizes.append(proc.memory_info().rss / 2**20)
                except psutil.Error:
                    pass
            if sizes:
                self.peak_process = max(self.peak_process, max(sizes))
                self.peak_api_total = max(self.peak_api_total, sum(sizes))
            self.peak_tree = max(self.peak_tree, tree_rss(self.tree_root))
            self._stop.wait(0.1)


class CpuSplit:
    """Where the machine's CPU went during a load: CPU seconds of the API process, the
    rest of the `signalyard dev` tree, all Postgres processes, wrk, and everything else
    (other work on a shared machine), as shares of cores x wall time."""

    def __init__(self, api: psutil.Process, dev_root: psutil.Process) -> None:
        self.api, self.dev_root = api, dev_root

    def _snapshot(self) -> dict[str, float]:
        out = {
            "api": 0.0,
            "dev tree (projections, supervisor)": 0.0,
            "postgres": 0.0,
            "load generator": 0.0,
        }
        tree = {p.pid for p in self.dev_root.children(recursive=True)} | {self.dev_root.pid}
        api = {p.pid for p in family(self.api)}
        for proc in psutil.process_iter(["name", "cpu_times"]):
            try:
                times = proc.info["cpu_times"]
                used = times.user + times.system
            except (psutil.Error, TypeError):
                continue
            if proc.pid in api:
                out["api"] += used
            elif proc.pid in tree:
                out["dev tree (projections, supervisor)"] += used
            elif proc.info["name"] == "postgres":
                out["postgres"] += used
        # The load generator (wrk, or the asyncio fallback) is a child of this process that
        # starts and ends inside the window: its CPU shows in our reaped children's usage.
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        out["load generator"] = children.ru_utime + children.ru_stime
        return out

    def __enter__(self) -> CpuSplit:
        self._t0 = time.monotonic()
        self._before = self._snapshot()
        self._total0 = sum(psutil.cpu_times()[:3])  # user, nice, system
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.monotonic() - self._t0
        after = self._snapshot()
        cores = psutil.cpu_count() or 1
        capacity = wall * cores
        self.capacity_ms = capacity * 1000  # cores x wall time of the window
        self.shares = {k: round(100 * (after[k] - self._before[k]) / capacity, 1) for k in after}
        busy = sum(psutil.cpu_times()[:3]) - self._total0
        self.shares["other processes"] = round(
            max(0.0, 100 * busy / capacity - sum(self.shares.values())), 1
        )
        self.shares["idle"] = round(max(0.0, 100 - 100 * busy / capacity), 1)
