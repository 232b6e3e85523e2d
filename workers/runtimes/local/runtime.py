"""The local runtime: each attempt a subprocess in its own session, directory and limits.

No thread per attempt: exits are watched through a pidfd and output through its pipe, both
on the event loop. The whole process group is killed on timeout, stop and exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from workers.adapters.logstore import FileLogStore
from workers.runtimes.interface import KillCause, Killed, Running, RuntimeHandle, StateChange
from workers.runtimes.local import workdir as workdirs
from workers.runtimes.local.isolation import (
    Isolation,
    UserSlots,
    preexec,
    wrapper_exit_code,
    wrapper_messages,
)
from workers.runtimes.local.limits import CgroupV2, rlimits_for
from workers.runtimes.local.outcome import TAIL_BYTES, exit_code, final_state
from workers.runtimes.spec import LaunchSpec, resolve_command
from workers.runtimes.workspace import agent_env, planned_files, secret_env

_READ = 64 * 1024
_PIPE_DRAIN_SECONDS = 2.0
_FORGET_AFTER_SECONDS = 600.0
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


@dataclass(eq=False)
class _Attempt:
    spec: LaunchSpec
    handle: RuntimeHandle
    workdir: Path
    uid: int | None
    cgroup: Path | None
    process: subprocess.Popen[bytes]
    changes: list[StateChange] = field(default_factory=lambda: [Running()])
    kill: Killed | None = None
    reaped: bool = False  # exited on its own: a stop or timeout from now on changes nothing
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    output_closed: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)


class LocalRuntime:
    name = "local"

    def __init__(
        self,
        root: Path,
        logs: FileLogStore,
        *,
        image_commands: Mapping[str, tuple[str, ...]] | None = None,
        kill_grace_seconds: float = 5.0,
        isolation: Isolation | None = None,
        uid_base: int = 200_000,
        uid_count: int = 10_000,
        cgroup_parent: Path | None = None,
    ) -> None:
        self.root = Path(root)
        self._logs = logs
        self._image_commands = dict(image_commands or {})
        self._grace = kill_grace_seconds
        self.isolation = isolation or Isolation.detect()
        self._uids = UserSlots(uid_base, uid_count)
        self._cgroups, cgroup_note = CgroupV2.detect(cgroup_parent)
        self.limits_applied = [
            "rlimits: RLIMIT_AS = memory, RLIMIT_CPU = cores x timeout, RLIMIT_NPROC",
            cgroup_note,
            self.isolation.describe(),
        ]
        self._attempts: dict[str, _Attempt] = {}
        workdirs.prepare_root(self.root, self.isolation.namespaced)
        for leftover in workdirs.leftovers(self.root):
            workdirs.remove(leftover)

    async def start(self, spec: LaunchSpec) -> RuntimeHandle:
        command = resolve_command(spec, self._image_commands)
        files = planned_files(spec)
        handle = RuntimeHandle(self.name, spec.attempt_name, spec.log_key)
        if handle.name in self._attempts:
            raise RuntimeError(f"attempt {handle.name} is already running here")
        uid = self._uids.take() if self.isolation.namespaced else None
        try:
            workdir = workdirs.create(self.root, handle.name, files, uid)
            cgroup = self._cgroups.create(handle.name, spec) if self._cgroups else None
            process = self._spawn(spec, command, workdir, uid, cgroup)
        except BaseException:
            if uid is not None:
                self._uids.give_back(uid)
            with contextlib.suppress(FileNotFoundError):
                workdirs.remove(self.root / handle.name)
            with contextlib.suppress(FileNotFoundError):
                self._logs.close(spec.log_key)  # a follower of it must not wait forever
            raise
        attempt = _Attempt(spec, handle, workdir, uid, cgroup, process)
        self._attempts[handle.name] = attempt
        self._follow_process(attempt)
        timeout = asyncio.get_running_loop().call_later(
            spec.timeout_seconds,
            self._terminate,
            attempt,
            Killed(KillCause.TIMEOUT, f"timed out after {spec.timeout_seconds:g} s"),
        )
        attempt.timers.append(timeout)
        return handle

    def _spawn(
        self,
        spec: LaunchSpec,
        command: list[str],
        workdir: Path,
        uid: int | None,
        cgroup: Path | None,
    ) -> subprocess.Popen[bytes]:
        env = {**BASE_ENV, **secret_env(spec)}
        env.update(HOME=str(workdir), TMPDIR=str(workdir / "tmp"))
        env.update(agent_env(spec, str(workdir)))
        if spec.agent_token:
            env["SIGNALYARD_AGENT_TOKEN"] = spec.agent_token
        limits = rlimits_for(spec, per_user=uid is not None)

        def limit_and_enter() -> None:
            if cgroup is not None:
                CgroupV2.enter(cgroup)
            limits()

        self._logs.open(spec.log_key)
        return subprocess.Popen(
            self.isolation.argv(command, uid),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if uid is not None else subprocess.STDOUT,
            cwd=workdir,
            env=env,
            start_new_session=True,
            preexec_fn=preexec(limit_and_enter, os.getpid()),
        )

    def _follow_process(self, attempt: _Attempt) -> None:
        loop = asyncio.get_running_loop()
        assert attempt.process.stdout is not None
        output = attempt.process.stdout.fileno()
        os.set_blocking(output, False)
        loop.add_reader(output, self._on_output, attempt, output)
        pidfd = os.pidfd_open(attempt.process.pid)
        loop.add_reader(pidfd, self._on_exit, attempt, pidfd)

    def _on_output(self, attempt: _Attempt, output: int) -> None:
        try:
            chunk = os.read(output, _READ)
        except BlockingIOError:
            return
        if chunk:
            self._logs.append(attempt.handle.log_key, chunk)
            return
        asyncio.get_running_loop().remove_reader(output)
        attempt.output_closed.set()

    def _on_exit(self, attempt: _Attempt, pidfd: int) -> None:
        asyncio.get_running_loop().remove_reader(pidfd)
        os.close(pidfd)
        _, status, usage = os.wait4(attempt.process.pid, 0)
        attempt.reaped = True
        attempt.process.returncode = os.waitstatus_to_exitcode(status)
        asyncio.get_running_loop().create_task(self._finish(attempt, status, usage))

    async def _finish(self, attempt: _Attempt, status: int, usage: object) -> None:
        for timer in attempt.timers:
            timer.cancel()
        _kill_group(attempt.process.pid, signal.SIGKILL)  # whatever it left running
        oom = False
        if attempt.cgroup is not None:
            oom = CgroupV2.oom_killed(attempt.cgroup)
            CgroupV2.remove(attempt.cgroup)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(attempt.output_closed.wait(), _PIPE_DRAIN_SECONDS)
        assert attempt.process.stdout is not None
        if not attempt.output_closed.is_set():
            asyncio.get_running_loop().remove_reader(attempt.process.stdout.fileno())
        attempt.process.stdout.close()
        key = attempt.handle.log_key
        code = exit_code(status)
        if attempt.process.stderr is not None:  # the namespace wrapper's own words
            said = _read_all(attempt.process.stderr.fileno())
            attempt.process.stderr.close()
            code = wrapper_exit_code(code, said)
            if wrapper_messages(said):
                self._logs.append(key, wrapper_messages(said))
        tail = self._logs.read(key, max(0, self._logs.size(key) - TAIL_BYTES))
        final = final_state(attempt.spec, code, usage, attempt.kill, oom, tail)  # type: ignore[arg-type]
        self._logs.close(key)
        await asyncio.to_thread(workdirs.remove, attempt.workdir)
        if attempt.uid is not None:
            self._uids.give_back(attempt.uid)
        attempt.changes.append(final)
        attempt.finished.set()
        asyncio.get_running_loop().call_later(
            _FORGET_AFTER_SECONDS, self._attempts.pop, attempt.handle.name, None
        )

    def _terminate(self, attempt: _Attempt, kill: Killed) -> None:
        """SIGTERM to the whole group, SIGKILL after the grace period."""
        if attempt.kill is not None or attempt.reaped:
            return
        attempt.kill = kill
        _kill_group(attempt.process.pid, signal.SIGTERM)
        loop = asyncio.get_running_loop()
        attempt.timers.append(
            loop.call_later(self._grace, _kill_group, attempt.process.pid, signal.SIGKILL)
        )

    async def watch(self, handle: RuntimeHandle) -> AsyncIterator[StateChange]:
        attempt = self._attempts[handle.name]
        seen = 0
        while True:
            while seen < len(attempt.changes):
                change = attempt.changes[seen]
                seen += 1
                yield change
                if not isinstance(change, Running):
                    return
            await attempt.finished.wait()

    async def stop(self, handle: RuntimeHandle, reason: str) -> None:
        attempt = self._attempts.get(handle.name)
        if attempt is None:
            return  # ended long ago
        self._terminate(attempt, Killed(KillCause.STOPPED, reason))
        await attempt.finished.wait()

    async def logs(self, handle: RuntimeHandle, offset: int = 0) -> bytes:
        return self._logs.read(handle.log_key, offset)

    def follow_logs(self, handle: RuntimeHandle, offset: int = 0) -> AsyncIterator[bytes]:
        return self._logs.follow(handle.log_key, offset)


def _read_all(fd: int) -> bytes:
    """What a pipe holds once every writer has exited (never blocks)."""
    os.set_blocking(fd, False)
    parts = []
    with contextlib.suppress(BlockingIOError):
        while chunk := os.read(fd, _READ):
            parts.append(chunk)
    return b"".join(parts)


def _kill_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
