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

from signalyard.restarts import RestartPolicy
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


QUICK = RestartPolicy(max_deaths=3, window_seconds=30, first_delay=0.1, max_delay=1.0)


def test_a_child_that_keeps_dying_is_a_crash_loop_that_stops_the_others(capfd) -> None:
    spawned: list[int] = []
    cleaned: list[bool] = []

    def setup(supervisor: Supervisor, gate: object) -> None:
        spawned.append(supervisor.spawn("sleeper", SLEEPER).process.pid)
        supervisor.spawn("crasher", [sys.executable, "-c", "raise SystemExit(3)"])

    started = time.monotonic()
    code = supervise(setup, cleanup=lambda: cleaned.append(True), grace_seconds=5, policy=QUICK)
    assert code == 1
    # Restarted after 0.1 and 0.2 s, the third death within the window stops the tree.
    assert 0.3 <= time.monotonic() - started < 5
    assert cleaned == [True]
    assert _gone(spawned[0])
    err = capfd.readouterr().err
    assert "crasher (pid" in err and "exited with code 3; restart 1 in 0.1 s" in err
    assert "restart 2 in 0.2 s" in err and "restart 3" not in err
    assert "crasher exited with code 3 (3 deaths within 30 s: a crash loop)" in err


def test_a_killed_child_is_restarted_with_its_descendants_replaced(capfd) -> None:
    supervisor = Supervisor(grace_seconds=2, policy=QUICK)
    stable = supervisor.spawn("stable", SLEEPER)
    child = supervisor.spawn("parent", PARENT_OF_SLEEPER)
    try:
        grandchild = _grandchild(child.process.pid)
        first_pid = child.process.pid
        os.kill(first_pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while child.process.pid == first_pid and time.monotonic() < deadline:
            supervisor.wait(0.05)
        assert child.process.pid != first_pid and child.process.poll() is None
        # The dead child's own children went with it (they could hold its port).
        assert _gone(grandchild)
        assert stable.process.poll() is None and len(supervisor.children) == 2
        logged = f"parent (pid {first_pid}) was killed by SIGKILL; restart 1 in 0.1 s"
        assert logged in capfd.readouterr().err
    finally:
        supervisor.stop_all()


def test_deaths_outside_the_window_do_not_count_towards_a_crash_loop() -> None:
    supervisor = Supervisor(
        grace_seconds=2,
        policy=RestartPolicy(max_deaths=2, window_seconds=0.2, first_delay=0.05, max_delay=0.05),
    )
    child = supervisor.spawn("flaky", [sys.executable, "-c", "import time; time.sleep(0.3)"])
    try:
        # Dies every 0.3 s and more (start-up): never twice within 0.2 s, never a crash loop.
        supervisor.wait(1.5)
        assert child.deaths.restarts >= 2
    finally:
        supervisor.stop_all()


def test_the_restart_delay_doubles_up_to_its_cap() -> None:
    policy = RestartPolicy(first_delay=0.5, max_delay=3.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def _grandchild(pid: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = psutil.Process(pid).children()
        if kids:
            return kids[0].pid
        time.sleep(0.02)
    raise AssertionError("the child started no grandchild")


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
