from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from support.counters import app, log  # noqa: F401 - the counter app's fixtures

from domain.plumbing.store import EventStore
from signalyard.bootstrap import build_store
from signalyard.settings import Settings


@pytest.fixture(params=["memory", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[EventStore]:
    """The same application tests run on the in-memory store (every read fresh) and on
    Postgres as the processes wire it (batched reads, validated reads from the cache)."""
    if request.param == "memory":
        yield EventStore()
        return
    url = request.getfixturevalue("fresh_db_url")
    settings = Settings(database_url=url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {settings.event_schema}")
    built = build_store(settings, url, create_tables=True)  # as the processes wire it
    try:
        yield built
    finally:
        built.close()
