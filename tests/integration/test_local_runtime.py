"""The local runtime runs an attempt to its outcome: success, failure, timeout, stop and
memory exhaustion, with the log readable while it runs and kept after."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psutil
import pytest
from support.local_runtime import (
    make_runtime,
    processes_with,
    python_spec,
    run_to_end,
    wait_for_log,
    wait_until,
)

from workers.runtimes.interface import (
    Exited,
    KillCause,
    Killed,
    Outcome,
    Running,
    RuntimeHandle,
    outcome_of,
)
from workers.runtimes.local.isolation import Isolation

WAIT_FOR_GO = """
import os, sys, time
print("first line", flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.02)
print("second line")
"""

FORK_AND_IGNORE_TERM = """
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(300)
print("ready", flush=True)
time.sleep(300)
"""


def test_an_attempt_that_exits_0_succeeds_and_its_log_is_readable_while_it_runs(
    service_dir: Path,
) -> None:
    async def scenario() -> None:
        runtime = make_runtime(service_dir)
        go = service_dir / "go"
        handle = await runtime.start(python_spec(WAIT_FOR_GO, str(go)))
        watching = asyncio.ensure_future(run_to_end(runtime, handle))
        early = await wait_for_log(runtime, handle, b"first line")
        assert b"second line" not in early and not watching.done()
        follower = runtime.follow_logs(handle)
        assert (await anext(follower)).startswith(b"first line")
        go.touch()
        changes = await watching
        assert changes == [Running(), Exited(0)]
        assert outcome_of(changes[-1]) == (Outcome.SUCCEEDED, None)
        assert await runtime.logs(handle) == b"first line\nsecond line\n"
        assert await runtime.logs(handle, offset=11) == b"second line\n"
        rest = b"".join([chunk async for chunk in follower])  # ends: the log is closed
        assert b"second line" in rest
        assert not (runtime.root / handle.name).exists()  # the workdir is gone, the log stays

    asyncio.run(scenario())


def test_a_nonzero_exit_is_a_failure_naming_the_code(service_dir: Path) -> None:
    async def scenario() -> None:
        runtime = make_runtime(service_dir)
        handle = await runtime.start(python_spec("import sys; print('bad'); sys.exit(3)"))
        changes = await run_to_end(runtime, handle)
        assert changes[-1] == Exited(3)
        assert outcome_of(changes[-1]) == (Outcome.FAILED, "exited with code 3")
        assert await runtime.logs(handle) == b"bad\n"

    asyncio.run(scenario())


def test_a_timeout_kills_the_whole_group_even_a_grandchild_ignoring_sigterm(
    service_dir: Path,
) -> None:
    marker = f"marker-{service_dir.name}"

    async def scenario() -> None:
        runtime = make_runtime(service_dir)
        spec = python_spec(FORK_AND_IGNORE_TERM, marker, timeout_seconds=1.5)
        handle = await runtime.start(spec)
        await wait_for_log(runtime, handle, b"ready")
        assert len(processes_with(marker)) >= 2  # the agent and its grandchild
        changes = await run_to_end(runtime, handle)
        assert changes[-1] == Killed(KillCause.TIMEOUT, "timed out after 1.5 s")
        assert outcome_of(changes[-1])[0] is Outcome.TIMED_OUT

    asyncio.run(scenario())
    assert wait_until(lambda: not processes_with(marker), timeout=2)


def test_stop_kills_the_attempt_with_the_reason_given(service_dir: Path) -> None:
    marker = f"marker-{service_dir.name}"

    async def scenario() -> None:
        runtime = make_runtime(service_dir)
        handle = await runtime.start(python_spec(FORK_AND_IGNORE_TERM, marker))
        await wait_for_log(runtime, handle, b"ready")
        await runtime.stop(handle, "cancelled by alice")
        changes = await run_to_end(runtime, handle)
        assert changes[-1] == Killed(KillCause.STOPPED, "cancelled by alice")
        assert outcome_of(changes[-1]) == (Outcome.KILLED, "cancelled by alice")

    asyncio.run(scenario())
    assert wait_until(lambda: not processes_with(marker), timeout=2)


def test_exceeding_the_memory_limit_fails_with_the_reason(service_dir: Path) -> None:
    async def scenario() -> None:
        runtime = make_runtime(service_dir)
        spec = python_spec("x = bytearray(1024 * 1024 * 1024)", memory_mib=256)
        handle = await runtime.start(spec)
        changes = await run_to_end(runtime, handle)
        outcome, reason = outcome_of(changes[-1])
        assert outcome is Outcome.FAILED
        assert reason is not None and reason.startswith("memory limit exceeded")
        assert "256 MiB" in reason

    asyncio.run(scenario())


def test_an_agent_within_its_memory_limit_is_not_refused(service_dir: Path) -> None:
    async def scenario() -> None:
        runtime = make_runtime(service_dir)
        spec = python_spec("x = bytearray(64 * 1024 * 1024); print(len(x))", memory_mib=256)
        handle = await runtime.start(spec)
        assert (await run_to_end(runtime, handle))[-1] == Exited(0)

    asyncio.run(scenario())


def test_exceeding_the_cpu_budget_fails_with_the_reason(service_dir: Path) -> None:
    async def scenario() -> None:
        runtime = make_runtime(service_dir)
        spec = python_spec("while True: pass", cpu=0.02, timeout_seconds=50)  # 1 CPU s
        handle = await runtime.start(spec)
        changes = await run_to_end(runtime, handle)
        outcome, reason = outcome_of(changes[-1])
        assert outcome is Outcome.FAILED
        assert reason is not None and reason.startswith("CPU time limit exceeded")

    asyncio.run(scenario())


def test_without_root_isolation_an_attempt_still_runs_and_times_out_as_a_group(
    service_dir: Path,
) -> None:
    marker = f"marker-{service_dir.name}"

    async def scenario() -> None:
        runtime = make_runtime(service_dir, isolation=Isolation(namespaced=False))
        handle = await runtime.start(python_spec("import sys; print('out'); sys.exit(4)"))
        assert (await run_to_end(runtime, handle))[-1] == Exited(4)
        assert await runtime.logs(handle) == b"out\n"
        spec = python_spec(FORK_AND_IGNORE_TERM, marker, timeout_seconds=1)
        handle = await runtime.start(spec)
        await wait_for_log(runtime, handle, b"ready")
        assert (await run_to_end(runtime, handle))[-1].cause is KillCause.TIMEOUT

    asyncio.run(scenario())
    assert wait_until(lambda: not processes_with(marker), timeout=2)


def test_fifty_running_attempts_cost_no_thread_each_and_little_memory(service_dir: Path) -> None:
    async def scenario() -> None:
        runtime = make_runtime(service_dir)
        warm = await runtime.start(python_spec("pass"))
        await run_to_end(runtime, warm)
        me = psutil.Process()
        threads, rss = me.num_threads(), me.memory_info().rss
        command = ("/bin/sh", "-c", "echo up; sleep 60")
        handles = [
            await runtime.start(python_spec("", command=command, task=f"many-{n}"))
            for n in range(50)
        ]
        for handle in handles:
            await wait_for_log(runtime, handle, b"up")
        assert me.num_threads() <= threads
        assert me.memory_info().rss - rss < 8 * 1024 * 1024  # measured: ~10 KiB an attempt
        await asyncio.gather(*(runtime.stop(handle, "enough") for handle in handles))

    asyncio.run(scenario())


@pytest.mark.parametrize("namespaced", [True, False])
def test_a_command_that_does_not_exist_fails_or_is_refused(
    service_dir: Path, namespaced: bool
) -> None:
    async def scenario() -> None:
        runtime = make_runtime(service_dir, isolation=None if namespaced else Isolation(False))
        spec = python_spec("", command=("/nonexistent/agent",))
        if runtime.isolation.namespaced:  # exec happens inside the namespace
            handle = await runtime.start(spec)
            assert (await run_to_end(runtime, handle))[-1] == Exited(127)
            assert b"/nonexistent/agent" in await runtime.logs(handle)
        else:
            with pytest.raises(FileNotFoundError):
                await runtime.start(spec)
            handle = RuntimeHandle("local", spec.attempt_name, spec.log_key)
            assert [chunk async for chunk in runtime.follow_logs(handle)] == []

    asyncio.run(scenario())
