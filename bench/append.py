"""Event append throughput: Signalyard's group-commit recorder, the library's stock
Postgres recorder and raw psycopg single-row commits, same database, same row shape
(the library's events table; one realistic ~0.4 kB domain event per append), writers are
threads of this process (as command handlers are in the API's thread pool)."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.conninfo import conninfo_to_dict

from bench.stats import median, percentile
from signalyard.eventstore.recorder import GroupCommitApplicationRecorder


@dataclass
class Trial:
    events: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def sample_event() -> StoredEvent:
    """A Project.Created as the API stores it (same topic and state size)."""
    from domain.core.context import system_context
    from domain.plumbing.store import EventStore
    from domain.tenancy.hierarchy import Project

    app = EventStore()  # in memory: only its mapper is used
    meta = system_context().meta(uuid.uuid4())
    project = Project(
        organization_id=uuid.uuid4(),
        team_id=uuid.uuid4(),
        workspace_id=uuid.uuid4(),
        name="Benchmark project",
        slug="benchmark-project",
        description="created by the benchmark suite",
        settings={"max_parallel": 4},
        meta=meta,
    )
    return app.mapper.to_stored_event(project.collect_events()[0])


def _datastore(url: str, pool: int) -> PostgresDatastore:
    info = conninfo_to_dict(url)
    return PostgresDatastore(
        dbname=info["dbname"],
        host=info.get("host", "127.0.0.1"),
        port=info.get("port", "5432"),
        user=info.get("user", "postgres"),
        password=info.get("password", ""),
        pool_size=pool,
        max_overflow=0,
        lock_timeout=30,
        schema="public",
    )


class Contender:
    name: str

    def append(self, state: int) -> None: ...

    def close(self) -> None: ...


class RecorderContender(Contender):
    def __init__(self, name: str, cls: type, url: str, writers: int, template: StoredEvent):
        self.name = name
        self.datastore = _datastore(url, writers)
        self.recorder = cls(self.datastore, events_table_name=f"bench_{name}_events")
        self.recorder.create_table()
        self.template = template

    def append(self, _: int) -> None:
        t = self.template
        self.recorder.insert_events([StoredEvent(uuid.uuid4(), 1, t.topic, t.state)])

    def close(self) -> None:
        self.datastore.close()


class RawContender(Contender):
    """INSERT one row, commit, per call: one connection per writer, no lock, no check."""

    name = "raw"

    def __init__(self, url: str, template: StoredEvent):
        self.url = url
        self.template = template
        self.local = threading.local()
        with psycopg.connect(url, autocommit=True) as conn:  # the library's DDL, same shape
            conn.execute(
                "CREATE TABLE IF NOT EXISTS bench_raw_events (originator_id uuid NOT NULL,"
                " originator_version bigint NOT NULL, topic text, state bytea,"
                " notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
            )
            conn.execute(
                "CREATE UNIQUE INDEX IF NOT EXISTS bench_raw_events_notification_id_idx"
                " ON bench_raw_events (notification_id)"
            )
        self.connections: list[psycopg.Connection] = []
        self.lock = threading.Lock()

    def append(self, _: int) -> None:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = psycopg.connect(self.url, autocommit=True)
            self.local.conn = conn
            with self.lock:
                self.connections.append(conn)
        t = self.template
        conn.execute(
            "INSERT INTO bench_raw_events (originator_id, originator_version, topic, state)"
            " VALUES (%s, 1, %s, %s)",
            (uuid.uuid4(), t.topic, t.state),
            prepare=True,
        )

    def close(self) -> None:
        for conn in self.connections:
            conn.close()


def run_trial(contender: Contender, writers: int, seconds: float) -> Trial:
    barrier = threading.Barrier(writers + 1)
    counts = [0] * writers
    latencies: list[list[float]] = [[] for _ in range(writers)]
    stop_at = [0.0]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            contender.append(index)  # warm: connection, prepared statements
            barrier.wait()
            lat = latencies[index]
            n = 0
            clock = time.perf_counter
            while True:
                t0 = clock()
                if t0 >= stop_at[0]:
                    break
                contender.append(index)
                lat.append((clock() - t0) * 1000)
                n += 1
            counts[index] = n
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(writers)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds + 0.001  # set before the writers are let go
    barrier.wait()
    started = stop_at[0] - seconds
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return Trial(sum(counts), elapsed, [x for lat in latencies for x in lat])


def run(db, *, quick: bool) -> dict:
    url = db.new_database("append")
    template = sample_event()
    seconds = 1.0 if quick else 4.0
    trials = 3 if quick else 5
    results: dict = {
        "seconds_per_trial": seconds,
        "trials": trials,
        "event_bytes": len(template.state),
    }
    try:
        for writers in (1, 16):
            contenders: list[Contender] = [
                RecorderContender(
                    "grouped", GroupCommitApplicationRecorder, url, writers, template
                ),
                RecorderContender("stock", PostgresApplicationRecorder, url, writers, template),
            ]
            contenders.append(RawContender(url, template))
            runs: dict[str, list[Trial]] = {c.name: [] for c in contenders}
            for _ in range(trials):  # interleaved, so drift and noise hit all alike
                for contender in contenders:
                    runs[contender.name].append(run_trial(contender, writers, seconds))
            groups = contenders[0].recorder.committer
            for contender in contenders:
                contender.close()
            for name, done in runs.items():
                lat = [x for t in done for x in t.latencies_ms]
                results[f"{name}@{writers}"] = {
                    "events_per_s_median": median([t.rate for t in done]),
                    "events_per_s_trials": [round(t.rate, 1) for t in done],
                    "latency_ms_p50": percentile(lat, 50),
                    "latency_ms_p99": percentile(lat, 99),
                }
            results[f"grouped@{writers}"]["mean_group_size"] = (
                groups.members / groups.groups if groups.groups else None
            )
    finally:
        db.drop(url)
    return results
