"""Event stores for tests on a real database, built as the processes build them."""

from __future__ import annotations

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg.conninfo import conninfo_to_dict

from domain.plumbing.store import EventStore
from signalyard.bootstrap import event_store_env
from signalyard.settings import Settings


def event_store(url: str, *, create_tables: bool = True, **settings: object) -> EventStore:
    """The event store application on `url` (its schema made first), with these settings."""
    resolved = Settings(database_url=url, **settings)  # type: ignore[arg-type]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {resolved.event_schema}")
    return EventStore(env=event_store_env(resolved, url, create_tables=create_tables))


def datastore_for(url: str, **options: object) -> PostgresDatastore:
    """The library's datastore on `url` (for recorder-level tests)."""
    info = conninfo_to_dict(url)
    return PostgresDatastore(
        dbname=str(info["dbname"]),
        host=str(info.get("host", "127.0.0.1")),
        port=str(info.get("port", "5432")),
        user=str(info.get("user", "postgres")),
        password=str(info.get("password", "")),
        **options,  # type: ignore[arg-type]
    )
