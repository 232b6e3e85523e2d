"""Helpers for local runtime tests: a runtime in a directory other users can pass
through, specs with small agents written in Python, and a scan for leftover processes."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from workers.adapters.logstore import FileLogStore
from workers.runtimes.interface import RuntimeHandle, StateChange
from workers.runtimes.local.runtime import LocalRuntime
from workers.runtimes.spec import LaunchSpec

PYTHON = "/usr/bin/python3"  # the system interpreter: any task user can run it


def make_runtime(base: Path, **options: Any) -> LocalRuntime:
    options.setdefault("kill_grace_seconds", 0.5)
    return LocalRuntime(base / "attempts", FileLogStore(base / "logs"), **options)


def python_spec(code: str, *args: str, task: str | None = None, **fields: Any) -> LaunchSpec:
    fields.setdefault("timeout_seconds", 30)
    return LaunchSpec(
        org_id=fields.pop("org_id", "org-1"),
        project_id=fields.pop("project_id", "project-1"),
        task_id=task or f"task-{uuid.uuid4().hex[:8]}",
        attempt=fields.pop("attempt", 1),
        image="python:3.11",
        command=fields.pop("command", (PYTHON, "-u", "-c", code, *args)),
        **fields,
    )


async def run_to_end(runtime: LocalRuntime, handle: RuntimeHandle) -> list[StateChange]:
    return [change async for change in runtime.watch(handle)]


async def wait_for_log(
    runtime: LocalRuntime, handle: RuntimeHandle, needle: bytes, timeout: float = 10.0
) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = await runtime.logs(handle)
        if needle in text:
            return text
        await asyncio.sleep(0.05)
    raise AssertionError(f"{needle!r} never appeared in the log: {await runtime.logs(handle)!r}")


def processes_with(marker: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if any(marker in part for part in process.info["cmdline"] or []):
            found.append(process)
    return found


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
