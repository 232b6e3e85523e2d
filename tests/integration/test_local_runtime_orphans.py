"""A dispatcher killed with SIGKILL leaves no attempt running: not the agent, not what it
forked (the parent-death signal ends the namespace's init, the kernel the rest)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support.local_runtime import make_runtime, processes_with, wait_until

HOST = Path(__file__).resolve().parent.parent / "support" / "runtime_host.py"


def test_killing_the_dispatcher_with_sigkill_kills_its_attempts_and_their_children(
    service_dir: Path,
) -> None:
    marker = f"orphan-{service_dir.name}"
    host = subprocess.Popen(
        [sys.executable, str(HOST), str(service_dir), marker],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent.parent,
    )
    try:
        assert host.stdout is not None and host.stdout.readline() == b"started\n"
        running = processes_with(marker)
        agents = [p for p in running if "python" in os.path.basename(p.cmdline()[0])]
        assert len(agents) >= 2  # the agent and the child it forked
        os.kill(host.pid, signal.SIGKILL)
        host.wait()
        assert wait_until(lambda: not processes_with(marker), timeout=5), processes_with(marker)
    finally:
        if host.poll() is None:
            host.kill()
            host.wait()
        for survivor in processes_with(marker):  # a failed run must not leak its own
            survivor.kill()


def test_a_new_runtime_clears_directories_a_killed_one_left(service_dir: Path) -> None:
    make_runtime(service_dir)
    leftover = service_dir / "attempts" / "task-x-1"
    leftover.mkdir()
    (leftover / "brief.md").write_text("old")
    make_runtime(service_dir)
    assert not leftover.exists()


def test_a_directory_holding_other_files_is_refused_not_cleared(service_dir: Path) -> None:
    precious = service_dir / "attempts" / "notes.txt"
    precious.parent.mkdir()
    precious.write_text("keep me")
    with pytest.raises(RuntimeError, match="directory of its own"):
        make_runtime(service_dir)
    assert precious.read_text() == "keep me"
