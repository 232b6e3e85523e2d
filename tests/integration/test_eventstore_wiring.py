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
