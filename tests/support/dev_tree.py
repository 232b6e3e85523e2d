"""`signalyard dev` as a child of the test: its output, its token, its process tree."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil


class DevProcess:
    def __init__(self, data_dir: Path, port: int, env: dict[str, str]) -> None:
        self.port = port
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "signalyard",
                "dev",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: list[str] = []

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if "API ready at" in line:
                # Keep reading: a full pipe would block the tree's logging, and so the tree.
                threading.Thread(target=self._drain, daemon=True).start()
                return
        raise AssertionError("signalyard dev did not become ready:\n" + "".join(self.lines))

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def output(self) -> str:
        return "".join(self.lines)

    def token(self) -> str | None:
        for line in self.lines:
            match = re.search(r"Admin API token \(shown once\): (\S+)", line)
            if match:
                return match.group(1)
        return None

    def child(self, command: str) -> psutil.Process | None:
        """The live supervised child running `signalyard <command>` (e.g. "api"), if any."""
        for proc in psutil.Process(self.proc.pid).children():
            if f" -m signalyard {command}" in _cmdline(proc):
                return proc
        return None

    def api_workers(self) -> list[psutil.Process]:
        """uvicorn's worker processes (spawned by multiprocessing) under the api child."""
        api = self.child("api")
        assert api is not None, self.output()
        return [p for p in api.children() if "spawn_main" in _cmdline(p)]

    def interrupt(self) -> int:
        descendants = psutil.Process(self.proc.pid).children(recursive=True)
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=60)
        gone, alive = psutil.wait_procs(descendants, timeout=15)
        assert not alive, f"orphans left behind: {alive}"
        return code


def _cmdline(proc: psutil.Process) -> str:
    try:  # a dead, not yet reaped, process has none
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


def dev_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALYARD_")}
    env.pop("DATABASE_URL", None)  # the embedded default path
    return {**env, **extra}
