"""CPU and memory limits of a local attempt: rlimits always, a cgroup v2 where one is
writable with the memory and cpu controllers delegated.

rlimits are per process: RLIMIT_AS caps each process's address space at the memory limit,
RLIMIT_CPU caps CPU seconds at cores x timeout (a budget, not a rate), RLIMIT_NPROC stops
fork bombs (per user id, so per attempt when each attempt has its own). A cgroup caps the
attempt as a whole (memory.max, cpu.max as a rate) and says when it OOM-killed.
"""

from __future__ import annotations

import math
import resource
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workers.runtimes.spec import LaunchSpec

MAX_PROCESSES = 1024
_CPU_PERIOD_US = 100_000


def rlimits_for(spec: LaunchSpec, per_user: bool) -> Callable[[], None]:
    address_space = spec.memory_bytes
    cpu_seconds = max(1, math.ceil(spec.cpu * spec.timeout_seconds))

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        # Soft first: SIGXCPU can be caught for a last word; the hard limit is SIGKILL
        # (and the only one a PID namespace's init cannot ignore).
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        if per_user:
            resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))

    return apply


@dataclass(frozen=True)
class CgroupV2:
    parent: Path

    @classmethod
    def detect(cls, configured: Path | None = None) -> tuple[CgroupV2 | None, str]:
        """A usable parent cgroup, or why there is none (said at start-up and in README)."""
        parent = configured or _own_cgroup()
        if parent is None:
            return None, "cgroup v2: no cgroup2 mount"
        try:
            enabled = (parent / "cgroup.subtree_control").read_text().split()
            if not {"memory", "cpu"} <= set(enabled):
                (parent / "cgroup.subtree_control").write_text("+memory +cpu")
            probe = parent / "signalyard-probe"
            probe.mkdir(exist_ok=True)
            probe.rmdir()
        except OSError as error:
            return None, f"cgroup v2 at {parent} not usable ({error.strerror or error})"
        return cls(parent), f"cgroup v2 under {parent} (memory.max, cpu.max)"

    def create(self, name: str, spec: LaunchSpec) -> Path:
        group = self.parent / f"signalyard-{name}"
        group.mkdir(exist_ok=True)
        (group / "memory.max").write_text(str(spec.memory_bytes))
        (group / "memory.swap.max").write_text("0")
        quota = max(1000, int(spec.cpu * _CPU_PERIOD_US))
        (group / "cpu.max").write_text(f"{quota} {_CPU_PERIOD_US}")
        return group

    @staticmethod
    def enter(group: Path) -> None:
        """In the forked child: move itself (and so all it starts) into the group."""
        (group / "cgroup.procs").write_text("0")

    @staticmethod
    def oom_killed(group: Path) -> bool:
        try:
            events = dict(
                line.split() for line in (group / "memory.events").read_text().splitlines()
            )
        except OSError:
            return False
        return int(events.get("oom_kill", "0")) > 0

    @staticmethod
    def remove(group: Path) -> None:
        try:
            (group / "cgroup.kill").write_text("1")
        except OSError:
            pass
        try:
            group.rmdir()
        except OSError:
            pass


def _own_cgroup() -> Path | None:
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    mount = next((line.split()[1] for line in mounts if line.split()[2:3] == ["cgroup2"]), None)
    if mount is None:
        return None
    lines = Path("/proc/self/cgroup").read_text().splitlines()
    own = next((line[3:] for line in lines if line.startswith("0::")), "/")
    return Path(mount) / own.lstrip("/")
