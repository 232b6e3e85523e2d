"""The `signalyard dev` process supervisor, with dummy children (no database, no API)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from signalyard.supervisor import Supervisor, supervise

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
# A child that also starts a grandchild, as uvicorn or a worker pool would.
PARENT_OF_SLEEPER = [
    sys.executable,
    "-c",
    "import subprocess, sys, time; "
    "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
    "print(p.pid, flush=True); time.sleep(60)",
]

SCRIPT = textwrap.dedent("""
    import subprocess, sys
    from signalyard.supervisor import supervise

    def setup(supervisor, gate):
        a = supervisor.spawn("a", %r)
        b = supervisor.spawn("b", %r)
        print(a.process.pid, b.process.pid, flush=True)

    sys.exit(supervise(setup, cleanup=lambda: print("cleanup", flush=True), grace_seconds=5))
""") % (SLEEPER, PARENT_OF_SLEEPER)


def _gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def _start_supervisor() -> tuple[subprocess.Popen[str], list[int]]:
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()]
    pids.append(int(proc.stdout.readline()))  # the grandchild, printed by child b
    assert all(psutil.pid_exists(pid) for pid in pids)
    return proc, pids


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_shutdown_signal_stops_children_and_grandchildren(signum: int) -> None:
    proc, pids = _start_supervisor()
    try:
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "cleanup" in out
    assert all(_gone(pid) for pid in pids), pids


def test_children_follow_a_killed_supervisor() -> None:
    proc, pids = _start_supervisor()
    proc.kill()
    proc.wait()
    # Direct children get SIGTERM from the kernel (PR_SET_PDEATHSIG).
    assert all(_gone(pid) for pid in pids[:2]), pids
    for pid in pids[2:]:  # the grandchild is outside our reach here; don't leak it
        if not _gone(pid, timeout=0.1):
            os.kill(pid, signal.SIGKILL)


def test_a_child_that_exits_stops_the_others() -> None:
    spawned: list[int] = []
    cleaned: list[bool] = []

    def setup(supervisor: Supervisor, gate: object) -> None:
        spawned.append(supervisor.spawn("sleeper", SLEEPER).process.pid)
        supervisor.spawn("crasher", [sys.executable, "-c", "raise SystemExit(3)"])

    started = time.monotonic()
    assert supervise(setup, cleanup=lambda: cleaned.append(True), grace_seconds=5) == 1
    assert time.monotonic() - started < 5
    assert cleaned == [True]
    assert _gone(spawned[0])


def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    stubborn = [
        sys.executable,
        "-c",
        "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "pathlib.Path(sys.argv[1]).touch(); time.sleep(60)",
        str(ready),
    ]
    supervisor = Supervisor(grace_seconds=0.5)
    child = supervisor.spawn("stubborn", stubborn)
    deadline = time.monotonic() + 10
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    supervisor.stop_all()
    assert 0.5 <= time.monotonic() - started < 3
    assert child.process.returncode == -signal.SIGKILL
