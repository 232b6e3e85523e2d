"""One command's reads: an identity map and the versions it decided on, per thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID


class ReadSession:
    """One command's identity map: each aggregate is read at most once per command.

    An optimistic session reads nothing: it takes the cache's copies as they are and
    remembers each version it used (0: absent) in `read_set`; its first write is refused
    (IntegrityError) if any of them has changed since, checked in the write's own
    transaction, and the command is then run again in an ordinary session
    (`unit_of_work.run_in_session`). An ordinary session notes the versions it read too, and
    its writes are checked the same way. After its first write a session reads as usual.
    """

    def __init__(self, optimistic: bool = False) -> None:
        self.loaded: dict[UUID, Any] = {}
        self.missing: set[UUID] = set()
        self.optimistic = optimistic
        self.read_set: dict[UUID, int] = {}
        self.wrote = False
        # A Credential still to be checked by this command's next read (EventStore), and
        # the one already checked (a nested use case does not check it again).
        self.unchecked_credential: Any = None
        self.checked_credential: Any = None
        # The CommandContext the session runs for: its session and idempotent request go
        # with the write, and the write's position is noted on it.
        self.ctx: Any = None


class SessionScope:
    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def current(self) -> ReadSession | None:
        return getattr(self._local, "session", None)

    @contextmanager
    def open(self, optimistic: bool = False) -> Iterator[ReadSession]:
        outer = self.current
        if outer is not None:  # nested use cases share the outer command's session
            yield outer
            return
        self._local.session = ReadSession(optimistic)
        try:
            yield self._local.session
        finally:
            self._local.session = None
