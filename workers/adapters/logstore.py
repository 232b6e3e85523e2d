"""Append-only attempt logs beside the blob store: `<root>/<org>/<project>/<task>/<attempt>.log`.

Unlike bundles, a log grows while its attempt runs, so it cannot be content-addressed
until it ends: chunks are appended as they arrive (readable at once, from any offset), and
a `.done` marker says no more will come, which ends a follower.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

_READ_CHUNK = 64 * 1024


class FileLogStore:
    def __init__(self, root: Path, poll_seconds: float = 0.1) -> None:
        self.root = Path(root)
        self.poll_seconds = poll_seconds

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not parts or any(part in ("", ".", "..") or "\\" in part for part in parts):
            raise ValueError(f"not a log key: {key!r}")
        return self.root.joinpath(*parts[:-1], parts[-1] + ".log")

    def open(self, key: str) -> None:
        """Start (or restart, for a re-run of the same key) an empty log."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_bytes(b"")
        path.with_suffix(".done").unlink(missing_ok=True)

    def append(self, key: str, chunk: bytes) -> None:
        path = self._path(key)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except FileNotFoundError:  # an agent's output before its runtime made the log
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, chunk)
        finally:
            os.close(fd)

    def close(self, key: str) -> None:
        path = self._path(key)
        with open(path, "rb") as log:
            os.fsync(log.fileno())
        path.with_suffix(".done").touch()

    def is_closed(self, key: str) -> bool:
        return self._path(key).with_suffix(".done").exists()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return 0

    def read(self, key: str, offset: int = 0, limit: int | None = None) -> bytes:
        try:
            with open(self._path(key), "rb") as log:
                log.seek(offset)
                return log.read() if limit is None else log.read(limit)
        except FileNotFoundError:
            return b""

    async def follow(self, key: str, offset: int = 0) -> AsyncIterator[bytes]:
        """Chunks from `offset` as they are appended, until the log is closed and drained."""
        while True:
            closed = self.is_closed(key)  # before reading: a chunk then close is never lost
            chunk = self.read(key, offset, _READ_CHUNK)
            if chunk:
                offset += len(chunk)
                yield chunk
                continue
            if closed:
                return
            await asyncio.sleep(self.poll_seconds)
