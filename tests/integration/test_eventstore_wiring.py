"""SIGNALYARD_EVENT_RECORDER picks the persistence module the composition root hands to
the eventsourcing library: Signalyard's group commit by default, the library's own on
request."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import InfrastructureFactory

from signalyard.bootstrap import event_store_env
from signalyard.eventstore.postgres import GroupCommitFactory
from signalyard.settings import Settings

URL = "postgresql://postgres@127.0.0.1:5432/signalyard"


def test_grouped_is_the_default():
    settings = Settings.from_env({})
    assert settings.event_recorder == "grouped"
    env = event_store_env(settings, URL, create_tables=False)
    assert env["PERSISTENCE_MODULE"] == "signalyard.eventstore.postgres"
    factory = InfrastructureFactory.construct(env)
    try:
        assert isinstance(factory, GroupCommitFactory)
    finally:
        factory.close()


def test_stock_on_request():
    settings = Settings.from_env({"SIGNALYARD_EVENT_RECORDER": "Stock"})
    env = event_store_env(settings, URL, create_tables=False)
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"


def test_unknown_recorder_is_refused():
    with pytest.raises(SystemExit, match="SIGNALYARD_EVENT_RECORDER"):
        Settings.from_env({"SIGNALYARD_EVENT_RECORDER": "fast"})


def test_api_workers_and_batch_interval_are_validated():
    settings = Settings.from_env({})
    assert settings.api_workers == 2 and settings.projection_batch_interval_ms == 50
    tuned = Settings.from_env(
        {"SIGNALYARD_API_WORKERS": "1", "SIGNALYARD_PROJECTION_BATCH_INTERVAL_MS": "0"}
    )
    assert tuned.api_workers == 1 and tuned.projection_batch_interval_ms == 0
    for name, bad in (
        ("SIGNALYARD_API_WORKERS", "0"),
        ("SIGNALYARD_API_WORKERS", "two"),
        ("SIGNALYARD_PROJECTION_BATCH_INTERVAL_MS", "-1"),
    ):
        with pytest.raises(SystemExit, match=name):
            Settings.from_env({name: bad})
