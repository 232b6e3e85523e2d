"""Why a local attempt ended, told from its wait status, resource usage, cgroup and log."""

from __future__ import annotations

import math
import os
import re
import resource
import signal

from workers.runtimes.interface import Exited, Killed
from workers.runtimes.spec import LaunchSpec

# What common runtimes print when an allocation fails under RLIMIT_AS (no cgroup to ask).
_OUT_OF_MEMORY = re.compile(
    rb"MemoryError|Cannot allocate memory|[Oo]ut of memory|std::bad_alloc|heap out of memory"
)
TAIL_BYTES = 8192


def exit_code(wait_status: int) -> int:
    """Shell convention: 128 + signal number for a process a signal ended."""
    code = os.waitstatus_to_exitcode(wait_status)
    return 128 - code if code < 0 else code


def final_state(
    spec: LaunchSpec,
    code: int,
    usage: resource.struct_rusage,
    kill: Killed | None,
    oom_killed: bool,
    log_tail: bytes,
) -> Exited | Killed:
    if kill is not None:
        return kill
    if oom_killed:
        return Exited(code, f"memory limit exceeded: OOM-killed at {spec.memory_mib} MiB (cgroup)")
    cpu_used = usage.ru_utime + usage.ru_stime
    cpu_budget = max(1, math.ceil(spec.cpu * spec.timeout_seconds))
    if code in (128 + signal.SIGXCPU, 128 + signal.SIGKILL) and cpu_used >= cpu_budget:
        return Exited(code, f"CPU time limit exceeded: {cpu_used:.0f} of {cpu_budget} CPU seconds")
    if code != 0 and _OUT_OF_MEMORY.search(log_tail):
        return Exited(
            code,
            f"memory limit exceeded: an allocation failed under the {spec.memory_mib} MiB "
            "address-space limit",
        )
    return Exited(code)
