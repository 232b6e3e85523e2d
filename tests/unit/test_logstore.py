"""Attempt logs: appended in chunks, read from any offset while they grow, followed until
closed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from workers.adapters.logstore import FileLogStore


def test_chunks_are_readable_from_any_offset_as_they_arrive(tmp_path: Path) -> None:
    logs = FileLogStore(tmp_path)
    logs.open("org/project/task/1")
    logs.append("org/project/task/1", b"hello ")
    assert logs.read("org/project/task/1") == b"hello "
    logs.append("org/project/task/1", b"world")
    assert logs.read("org/project/task/1", offset=6) == b"world"
    assert logs.size("org/project/task/1") == 11 and not logs.is_closed("org/project/task/1")
    assert logs.read("org/project/task/2") == b""


def test_a_follower_gets_every_chunk_and_ends_when_the_log_closes(tmp_path: Path) -> None:
    logs = FileLogStore(tmp_path, poll_seconds=0.01)
    key = "org/project/task/1"
    logs.open(key)
    logs.append(key, b"one\n")

    async def scenario() -> bytes:
        async def write_later() -> None:
            await asyncio.sleep(0.05)
            logs.append(key, b"two\n")
            logs.close(key)

        writer = asyncio.ensure_future(write_later())
        followed = b"".join([chunk async for chunk in logs.follow(key, offset=1)])
        await writer
        return followed

    assert asyncio.run(scenario()) == b"ne\ntwo\n"


@pytest.mark.parametrize("key", ["../etc/passwd", "org//task", "org/./x", ""])
def test_a_key_cannot_leave_the_store(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="not a log key"):
        FileLogStore(tmp_path).append(key, b"x")
