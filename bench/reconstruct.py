"""Reconstructing one entity with 10,000 events: latest and as of a past version, through
the application's repository (snapshots every 50 events, as the aggregates declare), against
a full replay of every event (the same repository without its snapshot store)."""

from __future__ import annotations

import time

from eventsourcing.application import Repository

from bench.stats import median, percentile
from domain.core.context import system_context
from domain.plumbing.store import EventStore
from domain.tenancy.hierarchy import Project

EVENTS = 10_000
CHUNK = 500


def _timed(fn, repeats: int) -> list[float]:
    fn()  # warm: prepared statements, caches
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def run(store: EventStore, *, quick: bool) -> dict:
    import uuid

    tenant = uuid.uuid4()
    meta = system_context().meta(tenant)
    project = Project(
        organization_id=tenant,
        team_id=uuid.uuid4(),
        workspace_id=uuid.uuid4(),
        name="Long history",
        slug="long-history",
        description="revision 0",
        settings={},
        meta=meta,
    )
    started = time.perf_counter()
    while project.version < EVENTS:
        for _ in range(min(CHUNK, EVENTS - project.version)):
            project.update(changes={"description": f"revision {project.version}"}, meta=meta)
        store.save(project)
    build_seconds = time.perf_counter() - started
    assert project.version == EVENTS
    past = EVENTS // 2 + 17  # not on a snapshot boundary
    replay = Repository(event_store=store.events, snapshot_store=None)
    repeats = 10 if quick else 30
    latest = _timed(lambda: store.repository.get(project.id), repeats)
    as_of = _timed(lambda: store.repository.get(project.id, version=past), repeats)
    full = _timed(lambda: replay.get(project.id), max(3, repeats // 5))
    full_as_of = _timed(lambda: replay.get(project.id, version=past), max(3, repeats // 5))
    assert store.repository.get(project.id, version=past).description == f"revision {past - 1}"

    def summary(values: list[float]) -> dict:
        return {"median_ms": median(values), "p99_ms": percentile(values, 99)}

    return {
        "events": EVENTS,
        "as_of_version": past,
        "build_seconds": build_seconds,
        "latest": summary(latest),
        "as_of": summary(as_of),
        "replay_latest": summary(full),
        "replay_as_of": summary(full_as_of),
    }
