"""Process supervision for `signalyard dev`: start children, restart the ones that die, stop
them all.

A child that dies is restarted after a delay that doubles with each recent death (see
`restarts`); only a crash loop (too many deaths of one child within a window) or a shutdown
signal stops the tree. Each child runs in its own process group, so a terminal Ctrl-C
reaches only the supervisor, which then stops the children in order (SIGTERM, grace period,
SIGKILL) and anything they spawned (the whole group). On Linux children also get SIGTERM if
the supervisor itself is killed (PR_SET_PDEATHSIG), so even `kill -9` of the supervisor
leaves no orphans behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType

import psutil

from signalyard.restarts import Deaths, RestartPolicy, how_it_ended

SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class ShutdownRequested(BaseException):
    """Raised in the main thread by SignalGate; BaseException like KeyboardInterrupt."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class ChildExited(Exception):
    """A child keeps dying (a crash loop): the tree stops."""

    def __init__(self, name: str, returncode: int, detail: str = ""):
        super().__init__(f"{name} {how_it_ended(returncode)}{detail}")
        self.name, self.returncode = name, returncode


class StartupError(Exception):
    """A failure to report in one line, without a traceback."""


class SignalGate:
    """Turns SIGINT/SIGTERM/SIGHUP into ShutdownRequested, once.

    After the first one (or after shield()), further signals are ignored so that cleanup
    runs to the end; cleanup is bounded by the supervisor's grace period anyway. Inside
    deferred(), a signal is held and raised when the block ends, so that e.g. spawning a
    child is never interrupted halfway.
    """

    def __init__(self) -> None:
        self._old: dict[int, object] = {}
        self._deferring = 0
        self._pending: int | None = None
        self._shielded = False

    def __enter__(self) -> SignalGate:
        for signum in SHUTDOWN_SIGNALS:
            self._old[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._old.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def shield(self) -> None:
        self._shielded = True

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1
        if not self._deferring and self._pending is not None and not self._shielded:
            self._shielded = True
            raise ShutdownRequested(self._pending)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._shielded:
            return
        if self._deferring:
            self._pending = self._pending or signum
            return
        self._shielded = True
        raise ShutdownRequested(signum)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] | None = None
    deaths: Deaths = field(default_factory=lambda: Deaths(RestartPolicy()))
    restart_at: float | None = None  # set while dead and waiting for its restart


class Supervisor:
    def __init__(
        self,
        grace_seconds: float = 10.0,
        policy: RestartPolicy | None = None,
        gate: SignalGate | None = None,
    ):
        self.grace_seconds = grace_seconds
        self.policy = policy or RestartPolicy()
        self.gate = gate
        self.children: list[Child] = []

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Child:
        child = Child(name, _popen(argv, env), argv, env, Deaths(self.policy))
        self.children.append(child)
        return child

    def check(self) -> None:
        """Schedule the restart of children that died, restart those due; raise ChildExited
        on a crash loop."""
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is None and child.process.poll() is not None:
                self._died(child, now)
            elif child.restart_at is not None and now >= child.restart_at:
                self._restart(child)

    def _died(self, child: Child, now: float) -> None:
        code = child.process.returncode
        # What it spawned (e.g. uvicorn's workers, which hold the port) must go with it,
        # or the restarted child could not bind.
        _signal_group(child.process.pid, signal.SIGKILL)
        delay = child.deaths.record(now)
        if delay is None:
            window = f"{self.policy.window_seconds:g} s"
            detail = f" ({self.policy.max_deaths} deaths within {window}: a crash loop)"
            raise ChildExited(child.name, code, detail)
        child.restart_at = now + delay
        _say(
            f"{child.name} (pid {child.process.pid}) {how_it_ended(code)}; "
            f"restart {child.deaths.restarts} in {delay:g} s"
        )

    def _restart(self, child: Child) -> None:
        deferred = self.gate.deferred() if self.gate else contextlib.nullcontext()
        with deferred:  # never leave a half-spawned child behind
            child.process = _popen(child.argv, child.env)
            child.restart_at = None
        _say(f"{child.name} restarted (pid {child.process.pid})")

    def wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            self.check()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(0.2, left))

    def stop_all(self) -> None:
        """SIGTERM every child's process group, wait up to the grace period, then SIGKILL."""
        groups = [child.process.pid for child in self.children]  # pgid == pid (process_group=0)
        for pgid in groups:
            _signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        while time.monotonic() < deadline:
            if all(c.process.poll() is not None for c in self.children) and not _members(groups):
                break
            time.sleep(0.05)
        for pgid in groups:
            _signal_group(pgid, signal.SIGKILL)
        for child in self.children:
            child.process.wait()
        self.children.clear()


def supervise(
    setup: Callable[[Supervisor, SignalGate], None],
    cleanup: Callable[[], None] | None = None,
    grace_seconds: float = 10.0,
    policy: RestartPolicy | None = None,
) -> int:
    """Run setup (which spawns the children), then watch them, restarting the ones that die,
    until a shutdown signal (exit code 0) or a crash loop (1). Children are always stopped,
    then cleanup runs.
    """
    with SignalGate() as gate:
        supervisor = Supervisor(grace_seconds, policy, gate)
        try:
            setup(supervisor, gate)
            while True:
                supervisor.wait(3600)
        except ShutdownRequested as exc:
            gate.shield()
            print(f"\nsignalyard: {exc} received, shutting down", file=sys.stderr, flush=True)
            return 0
        except (ChildExited, StartupError) as exc:
            gate.shield()
            _say(f"{exc}; stopping everything")
            return 1
        finally:
            gate.shield()
            try:
                supervisor.stop_all()
            finally:
                if cleanup is not None:
                    cleanup()


def _popen(argv: list[str], env: dict[str, str] | None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv, env=env, process_group=0, preexec_fn=_die_with_parent(os.getpid())
    )


def _say(message: str) -> None:
    print(f"signalyard: {message}", file=sys.stderr, flush=True)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _members(groups: list[int]) -> list[psutil.Process]:
    alive = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(proc.pid) in groups and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc)
    return alive


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork
    pr_set_pdeathsig = 1

    def setup() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent:  # the supervisor died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return setup
