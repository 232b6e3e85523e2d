"""How a local attempt is fenced off: its own user, its own PID namespace, and death
when the dispatcher dies.

As root (with util-linux `unshare` and `setpriv`), each attempt runs as a user id of its
own, so 0700 directories keep tasks out of each other's files, in a PID namespace whose
init dies with the dispatcher: the kernel then kills everything inside, grandchildren
included. Otherwise it runs as the dispatcher's user and only its direct child gets the
parent-death signal.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass, field

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent(parent_pid: int) -> None:
    """In the forked child, before exec: SIGKILL when the dispatcher's thread dies."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # it died before the prctl: nobody would send the signal
        os._exit(137)


@dataclass
class UserSlots:
    """A user id per running attempt, from a range this dispatcher owns."""

    base: int
    count: int
    taken: set[int] = field(default_factory=set)

    def take(self) -> int:
        for uid in range(self.base, self.base + self.count):
            if uid not in self.taken:
                self.taken.add(uid)
                return uid
        raise RuntimeError(f"all {self.count} task user ids from {self.base} are in use")

    def give_back(self, uid: int) -> None:
        self.taken.discard(uid)


@dataclass(frozen=True)
class Isolation:
    namespaced: bool  # per-attempt uid + PID namespace; else the dispatcher's uid
    unshare: str | None = None
    setpriv: str | None = None

    @classmethod
    def detect(cls) -> Isolation:
        unshare, setpriv = shutil.which("unshare"), shutil.which("setpriv")
        if os.geteuid() == 0 and unshare and setpriv:
            return cls(True, unshare, setpriv)
        return cls(False)

    def describe(self) -> str:
        if self.namespaced:
            return "per-attempt user id and PID namespace (killed with the dispatcher)"
        return "dispatcher's user id; parent-death signal on the direct child only"

    def argv(self, command: list[str], uid: int | None) -> list[str]:
        """The agent's stderr joins its stdout inside; the wrapper's own stderr stays apart."""
        if not self.namespaced or uid is None:
            return command
        assert self.unshare and self.setpriv
        return [
            self.unshare, "--pid", "--fork", "--kill-child=KILL", "--",
            self.setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--pdeathsig=KILL", "--", "/bin/sh", "-c", 'exec "$@" 2>&1', "agent", *command,
        ]  # fmt: skip


# unshare 2.38 cannot re-raise a SIGKILL that ended its child: it says this and exits 1.
_UNSHARE_SAW_SIGKILL = b"sigprocmask unblock failed"


def wrapper_exit_code(code: int, wrapper_stderr: bytes) -> int:
    """The agent's own exit code, told from what the namespace wrapper reported."""
    if code == 1 and _UNSHARE_SAW_SIGKILL in wrapper_stderr:
        return 128 + signal.SIGKILL
    return code


def wrapper_messages(wrapper_stderr: bytes) -> bytes:
    """What the wrapper said that the agent's log should show (it failed to exec, say)."""
    lines = wrapper_stderr.splitlines(keepends=True)
    return b"".join(line for line in lines if _UNSHARE_SAW_SIGKILL not in line)


def preexec(limits: Callable[[], None], parent_pid: int) -> Callable[[], None]:
    def run_in_child() -> None:
        limits()
        die_with_parent(parent_pid)

    return run_in_child
