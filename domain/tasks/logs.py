"""What the API reads an attempt's output through (and an agent appends to): the log store
the runtimes write to (wired in by the composition root), named by
`<org>/<project>/<task>/<attempt>`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol


def log_key(org_id: object, project_id: object, task_id: object, attempt: int) -> str:
    return f"{org_id}/{project_id}/{task_id}/{attempt}"


class AttemptLogs(Protocol):
    def read(self, key: str, offset: int = 0, limit: int | None = None) -> bytes: ...

    def size(self, key: str) -> int: ...

    def is_closed(self, key: str) -> bool: ...

    def append(self, key: str, chunk: bytes) -> None: ...

    def follow(self, key: str, offset: int = 0) -> AsyncIterator[bytes]:
        """Chunks from `offset` as they are written, until the log is closed."""
        ...
