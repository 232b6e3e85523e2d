"""The eventsourcing library's own recorder conformance cases, run against Signalyard's
group-commit persistence module on the embedded Postgres (one fresh database per test)."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.persistence import TrackingRecorder
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresDatastore,
    PostgresProcessRecorder,
    PostgresTrackingRecorder,
)
from eventsourcing.tests.persistence import (
    AggregateRecorderTestCase,
    ApplicationRecorderTestCase,
    InfrastructureFactoryTestCase,
    NonInterleavingNotificationIDsBaseCase,
    TrackingRecorderTestCase,
)
from eventsourcing.utils import Environment
from psycopg.conninfo import conninfo_to_dict
from support.stores import datastore_for as shared_datastore

from signalyard.eventstore import PERSISTENCE_MODULE
from signalyard.eventstore.postgres import GroupCommitFactory
from signalyard.eventstore.recorder import GroupCommitApplicationRecorder
from signalyard.eventstore.snapshots import CachingSnapshotRecorder

SCHEMA = "public"


def datastore_for(url: str, **options: object) -> PostgresDatastore:
    return shared_datastore(
        url, pool_size=4, max_overflow=8, lock_timeout=10, schema=SCHEMA, **options
    )


class _OnFreshDatabase:
    """Mixin: a datastore on the test's own database, closed after the test."""

    originator_id_type = "uuid"

    @pytest.fixture(autouse=True)
    def _database(self, fresh_db_url: str):
        self.datastore = datastore_for(fresh_db_url, originator_id_type=self.originator_id_type)
        yield
        self.datastore.close()

    def create_recorder(self) -> GroupCommitApplicationRecorder:
        recorder = GroupCommitApplicationRecorder(self.datastore, events_table_name="es_events")
        recorder.create_table()
        return recorder


class TestGroupCommitApplicationRecorder(_OnFreshDatabase, ApplicationRecorderTestCase):
    pass


class TestGroupCommitApplicationRecorderTextIds(_OnFreshDatabase, ApplicationRecorderTestCase):
    originator_id_type = "text"

    def new_originator_id(self) -> str:
        return f"aggregate-{uuid4()}"

    # The throughput/concurrency cases are covered by the uuid variant.
    test_concurrent_no_conflicts = None  # type: ignore[assignment]
    test_concurrent_throughput = None  # type: ignore[assignment]
    test_performance = None  # type: ignore[assignment]


class TestGroupCommitOneGroupInFlight(_OnFreshDatabase, ApplicationRecorderTestCase):
    """The same cases with one group at a time (GROUP_COMMIT_MAX_INFLIGHT=1)."""

    def create_recorder(self) -> GroupCommitApplicationRecorder:
        recorder = super().create_recorder()
        recorder.committer.max_inflight = 1
        return recorder

    test_performance = None  # type: ignore[assignment]
    test_concurrent_throughput = None  # type: ignore[assignment]


def test_append_function_plans_never_scan_the_table(fresh_db_url: str):
    """Its plans are cached per session: they must probe the primary key whatever the
    table's size was when they were made (a plan from a small table scans it)."""
    datastore = datastore_for(fresh_db_url)
    try:
        recorder = GroupCommitApplicationRecorder(datastore, events_table_name="es_events")
        recorder.create_table()
        with datastore.get_connection() as conn:
            row = conn.execute(
                "SELECT proconfig FROM pg_proc WHERE proname = 'es_events_group_append'"
            ).fetchone()
        config = set(row["proconfig"])
        assert {"enable_seqscan=off", "enable_hashjoin=off", "enable_mergejoin=off"} <= config
    finally:
        datastore.close()


class TestGroupCommitNonInterleavingNotificationIDs(
    _OnFreshDatabase, NonInterleavingNotificationIDsBaseCase
):
    pass


class TestCachingSnapshotRecorder(_OnFreshDatabase, AggregateRecorderTestCase):
    def create_recorder(self) -> CachingSnapshotRecorder:  # type: ignore[override]
        recorder = CachingSnapshotRecorder(self.datastore, events_table_name="es_snapshots")
        recorder.create_table()
        return recorder

    test_performance = None  # type: ignore[assignment]


class TestTrackingRecorder(_OnFreshDatabase, TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:  # type: ignore[override]
        factory = GroupCommitFactory(self._env())
        self._factories = getattr(self, "_factories", []) + [factory]
        return factory.tracking_recorder()

    def _env(self) -> Environment:
        return Environment(
            "signalyard_test",
            {
                "PERSISTENCE_MODULE": PERSISTENCE_MODULE,
                "POSTGRES_DBNAME": self.datastore.pool.kwargs["dbname"],
                "POSTGRES_HOST": self.datastore.pool.kwargs["host"],
                "POSTGRES_PORT": str(self.datastore.pool.kwargs["port"]),
                "POSTGRES_USER": self.datastore.pool.kwargs["user"],
                "POSTGRES_PASSWORD": self.datastore.pool.kwargs["password"],
            },
        )

    def tearDown(self) -> None:
        for factory in getattr(self, "_factories", []):
            factory.close()


class TestGroupCommitFactory(InfrastructureFactoryTestCase[GroupCommitFactory]):
    @pytest.fixture(autouse=True)
    def _database(self, fresh_db_url: str):
        info = conninfo_to_dict(fresh_db_url)
        self.env = Environment(
            "TestCase",
            {
                "PERSISTENCE_MODULE": PERSISTENCE_MODULE,
                "POSTGRES_DBNAME": str(info["dbname"]),
                "POSTGRES_HOST": str(info.get("host", "127.0.0.1")),
                "POSTGRES_PORT": str(info.get("port", "5432")),
                "POSTGRES_USER": str(info.get("user", "postgres")),
                "POSTGRES_PASSWORD": str(info.get("password", "")),
            },
        )
        yield

    def expected_factory_class(self) -> type[GroupCommitFactory]:
        return GroupCommitFactory

    def expected_aggregate_recorder_class(self) -> type[PostgresAggregateRecorder]:
        return PostgresAggregateRecorder  # for purpose "events"; snapshots remember theirs

    def expected_application_recorder_class(self) -> type[GroupCommitApplicationRecorder]:
        return GroupCommitApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[PostgresTrackingRecorder]:
        return PostgresTrackingRecorder

    def tracking_recorder_subclass(self) -> type[PostgresTrackingRecorder]:
        return _CustomTrackingRecorder

    def expected_process_recorder_class(self) -> type[PostgresProcessRecorder]:
        return PostgresProcessRecorder


class _CustomTrackingRecorder(PostgresTrackingRecorder):
    pass
