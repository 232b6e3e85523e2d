"""The group committer on its own (no database): who leads, what goes in a group."""

from __future__ import annotations

import threading
import time

import pytest

from signalyard.eventstore.grouping import GroupCommitter, Member


class GatedCommit:
    """Commits every group at once, except the first, which waits for `release`."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []
        self.first_started = threading.Event()
        self.release = threading.Event()

    def __call__(self, group: list[Member]) -> list[Member]:
        self.groups.append([m.events[0] for m in group])
        if len(self.groups) == 1:
            self.first_started.set()
            assert self.release.wait(10)
        for member in group:
            if member.events[0] == "poison":
                member.fail(ValueError("poison"))
            else:
                member.succeed([len(self.groups)])
        return []


def _queued(committer: GroupCommitter, n: int) -> None:
    deadline = time.monotonic() + 10
    while len(committer._queue) < n:
        assert time.monotonic() < deadline, "appends did not queue"
        time.sleep(0.001)


def _groups(commit: GatedCommit, n: int) -> None:
    deadline = time.monotonic() + 10
    while len(commit.groups) < n:
        assert time.monotonic() < deadline, "no group started"
        time.sleep(0.001)


def _submit_in_thread(committer: GroupCommitter, name: str, results: dict) -> threading.Thread:
    def run() -> None:
        try:
            results[name] = committer.submit([name])
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[name] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize(("pipeline_at", "second_group"), [(3, ["b", "c", "d"]), (1, ["b"])])
def test_a_second_group_starts_only_once_enough_appends_wait(pipeline_at, second_group):
    commit = GatedCommit()
    committer = GroupCommitter(commit, max_inflight=2, pipeline_at=pipeline_at)
    results: dict = {}
    threads = [_submit_in_thread(committer, "a", results)]
    assert commit.first_started.wait(10)
    # With pipeline_at=3 the first two wait in the queue and the third starts a group of
    # all three; with 1 an arrival that finds a free slot leads at once, alone.
    for name in ("b", "c", "d"):
        threads.append(_submit_in_thread(committer, name, results))
        if pipeline_at == 1:
            _groups(commit, 2)
            break
        if name != "d":
            _queued(committer, {"b": 1, "c": 2}[name])
    _groups(commit, 2)
    assert commit.groups[1] == second_group
    if pipeline_at == 1:
        threads += [_submit_in_thread(committer, name, results) for name in ("c", "d")]
    commit.release.set()
    for thread in threads:
        thread.join(10)
    assert set(results) == {"a", "b", "c", "d"}
    assert sorted(name for group in commit.groups for name in group) == ["a", "b", "c", "d"]


def test_a_lone_append_commits_at_once_and_failures_stay_with_their_member():
    commit = GatedCommit()
    commit.release.set()
    committer = GroupCommitter(commit, max_inflight=2, pipeline_at=4)
    assert committer.submit(["solo"]) == [1]  # nothing in flight: it leads, alone
    with pytest.raises(ValueError, match="poison"):
        committer.submit(["poison"])
    assert committer.submit(["after"]) == [3]
