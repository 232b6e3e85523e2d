"""Leader/follower group commit, independent of the database.

Concurrent callers enqueue their appends; whoever finds a free commit slot (two by default;
the second only once `pipeline_at` appends wait) becomes a leader, takes everything queued
(up to a size limit) and commits it as one group in its own thread; callers that arrive
while the slots are busy wait and form the next group, whose first member is promoted to
leader when a group is done. With two slots the next group already waits for the append
lock in the server while the current one flushes its WAL, so the database never idles
between groups. A lone writer commits straight away with no hand-off; under load each
transaction (and each WAL flush) carries many callers' events.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any


class Member:
    """One caller's append: all of its events commit together or none do."""

    __slots__ = (
        "events",
        "read_set",
        "session",
        "fence",
        "ids",
        "error",
        "resolved",
        "promoted",
        "_wake",
    )

    def __init__(
        self,
        events: Sequence[Any],
        read_set: Sequence[Any] = (),
        session: str | None = None,
        fence: tuple[str, str, str] | None = None,
    ) -> None:
        self.events = events
        # Passed through to the commit, which checks the read set and the fence (the
        # idempotent request's scope, key and attempt) and records the session's position.
        self.read_set = read_set
        self.session = session
        self.fence = fence
        self.ids: list[int] | None = None
        self.error: BaseException | None = None
        self.resolved = False
        self.promoted = False
        self._wake = threading.Event()

    def succeed(self, ids: list[int]) -> None:
        self.ids, self.resolved = ids, True

    def fail(self, error: BaseException) -> None:
        self.error, self.resolved = error, True


# Commits a group: resolves each member (succeed/fail) and returns the members it chose
# not to attempt in this group (they go back to the front of the queue, in order).
CommitGroup = Callable[[list[Member]], list[Member]]


class GroupCommitter:
    def __init__(
        self,
        commit: CommitGroup,
        *,
        max_events: int = 2000,
        max_inflight: int = 2,
        pipeline_at: int = 1,
    ) -> None:
        self._commit = commit
        self.max_events = max(1, max_events)
        # Groups committing at once. With 2, the next group is already on its way (and
        # waiting for the table lock in the server) while the current one flushes.
        self.max_inflight = max(1, max_inflight)
        # While a group commits, another starts only once this many appends wait: a lone
        # follower would otherwise go ahead as a group of one and split the queue.
        self.pipeline_at = max(1, pipeline_at)
        self._lock = threading.Lock()
        self._queue: deque[Member] = deque()
        self._leaders = 0
        # Observability for the benchmark: groups committed and members in them.
        self.groups = 0
        self.members = 0

    def submit(
        self,
        events: Sequence[Any],
        read_set: Sequence[Any] = (),
        session: str | None = None,
        fence: tuple[str, str, str] | None = None,
    ) -> list[int]:
        me = Member(events, read_set, session, fence)
        with self._lock:
            self._queue.append(me)
            lead = self._leaders == 0 or (
                self._leaders < self.max_inflight and len(self._queue) >= self.pipeline_at
            )
            if lead:
                self._leaders += 1
        while True:
            if lead:
                self._lead()
            if me.resolved:
                break
            me._wake.wait()
            me._wake.clear()
            lead, me.promoted = me.promoted, False
        if me.error is not None:
            raise me.error
        assert me.ids is not None
        return me.ids

    def _take(self) -> list[Member]:
        group = [self._queue.popleft()]
        size = len(group[0].events)
        while self._queue and size + len(self._queue[0].events) <= self.max_events:
            member = self._queue.popleft()
            size += len(member.events)
            group.append(member)
        return group

    def _lead(self) -> None:
        with self._lock:
            if not self._queue:  # another leader took everything, ours included
                self._leaders -= 1
                return
            group = self._take()
        deferred: list[Member] = []
        try:
            deferred = self._commit(group)
        except BaseException as exc:  # noqa: BLE001 - handed to every waiting caller
            for member in group:
                if not member.resolved:
                    member.fail(exc)
        for member in group:
            if not member.resolved and member not in deferred:
                member.fail(RuntimeError("group commit left a member unresolved"))
        with self._lock:
            self.groups += 1
            self.members += len(group) - len(deferred)
            self._queue.extendleft(reversed(deferred))
            # The first waiting member not already promoted by another finishing leader.
            successor = next((m for m in self._queue if not m.promoted), None)
            if successor is None:
                self._leaders -= 1
            else:
                successor.promoted = True
        for member in group:
            if member.resolved:
                member._wake.set()
        if successor is not None:
            successor._wake.set()
