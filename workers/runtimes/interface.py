"""The one interface every runtime offers, and the states an attempt goes through.

start → watch yields `Running`, then exactly one final `Exited` or `Killed`; stop ends
the attempt with `Killed`; logs read what it wrote so far, from a byte offset.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from workers.runtimes.spec import LaunchSpec


class KillCause(StrEnum):
    TIMEOUT = "timeout"
    STOPPED = "stopped"
    MEMORY = "memory"
    LOST = "lost"  # the runtime lost the attempt (node gone, Job deleted behind our back)


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    KILLED = "killed"


@dataclass(frozen=True)
class Running:
    pass


@dataclass(frozen=True)
class Exited:
    code: int
    reason: str | None = None  # e.g. "memory limit exceeded (...)" when the runtime can tell


@dataclass(frozen=True)
class Killed:
    cause: KillCause
    reason: str


StateChange = Running | Exited | Killed


def outcome_of(change: Exited | Killed) -> tuple[Outcome, str | None]:
    """The task outcome an attempt's final state stands for, and why."""
    if isinstance(change, Exited):
        if change.code == 0:
            return Outcome.SUCCEEDED, None
        return Outcome.FAILED, change.reason or f"exited with code {change.code}"
    if change.cause is KillCause.TIMEOUT:
        return Outcome.TIMED_OUT, change.reason
    if change.cause is KillCause.STOPPED:
        return Outcome.KILLED, change.reason
    return Outcome.FAILED, change.reason


@dataclass(frozen=True)
class RuntimeHandle:
    """What names a started attempt; plain data, so a dispatcher can keep it."""

    runtime: str  # "local" | "kubernetes"
    name: str  # the attempt's directory or Job name
    log_key: str
    namespace: str | None = None


class Runtime(Protocol):
    async def start(self, spec: LaunchSpec) -> RuntimeHandle: ...

    def watch(self, handle: RuntimeHandle) -> AsyncIterator[StateChange]:
        """Every state change from now on, ending after the final one."""
        ...

    async def stop(self, handle: RuntimeHandle, reason: str) -> None: ...

    async def logs(self, handle: RuntimeHandle, offset: int = 0) -> bytes: ...

    def follow_logs(self, handle: RuntimeHandle, offset: int = 0) -> AsyncIterator[bytes]:
        """Chunks from `offset` as they are written, ending when the attempt has ended."""
        ...
