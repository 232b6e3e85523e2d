"""One sandbox process and its line protocol: a request line out, stage lines and one
answer line back, within a deadline; past it, or if it dies, it is killed for good."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from typing import Any

MAX_LINE = 2 * 1024 * 1024
STARTUP_SECONDS = 30.0  # importing jq and CEL on a loaded machine
WORKER = "workers.router.sandbox_worker"


class SandboxDied(Exception):
    def __init__(self, reason: str, stage: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.stage = stage


class SandboxProcess:
    def __init__(self, memory_mb: int, cpu_seconds: int, cwd: str) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-m", WORKER, str(memory_mb), str(cpu_seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            # jq's `env` and `$ENV` read the environment: a user's program sees none of ours.
            env={"PATH": os.defpath},
            start_new_session=True,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._stdin, self._stdout = self._proc.stdin, self._proc.stdout
        self._buffer = b""
        self._limit_ms = round(STARTUP_SECONDS * 1000)
        if self._read_line(time.monotonic() + STARTUP_SECONDS, "startup") != b"ready":
            self.kill()
            raise SandboxDied("the evaluation process did not start", None)

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        self._limit_ms = round(timeout * 1000)
        stage: str | None = None
        try:
            self._stdin.write(json.dumps(request).encode() + b"\n")
            self._stdin.flush()
        except OSError:
            self.kill()
            raise SandboxDied("the evaluation process was not running", None) from None
        while True:
            line = self._read_line(deadline, stage)
            if line.startswith(b"{"):
                return json.loads(line)
            stage = line.decode(errors="replace").strip() or stage

    def _read_line(self, deadline: float, stage: str | None) -> bytes:
        fd = self._stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self.kill()
                    what = stage or "evaluation"
                    raise SandboxDied(f"{what} timed out after {self._limit_ms} ms", stage)
                chunk = os.read(fd, 65536)
                if not chunk:
                    code = self._proc.wait()
                    self.kill()
                    what = stage or "evaluation"
                    raise SandboxDied(f"{what} crashed its process ({_exit(code)})", stage)
                self._buffer += chunk
                if len(self._buffer) > MAX_LINE:
                    self.kill()
                    raise SandboxDied("the evaluation process answered too much", stage)
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def kill(self) -> None:
        if self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._proc.wait()
        for pipe in (self._stdin, self._stdout):
            try:
                pipe.close()
            except OSError:
                pass


def _exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"
