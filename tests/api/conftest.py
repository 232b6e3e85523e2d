from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql
from support.api import release_counting_connection
from support.stack import Stack, bus_settings, start_stack

PROBLEM = "application/problem+json"


@pytest.fixture(scope="session")
def api_db_url(pg_server_url: str) -> Iterator[str]:
    """One database for the API tests: every test names its own entities (`unique`)."""
    name = f"t_api_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(pg_server_url)
    try:
        yield psycopg.conninfo.make_conninfo(**{**info, "dbname": name})
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def stack(api_db_url: str, nats_bus: Any, vault_server: tuple[str, str]) -> Iterator[Stack]:
    """One running API + projections shared by the API test modules (starting one costs
    seconds), on the session's NATS, its vault backend the session's OpenBao; a module that
    needs other settings starts its own."""
    addr, token = vault_server
    running = start_stack(api_db_url, **bus_settings(nats_bus), vault_addr=addr, vault_token=token)
    try:
        yield running
    finally:
        running.stop()
        release_counting_connection(api_db_url)


@pytest.fixture
def admin(stack: Stack) -> Iterator[httpx.Client]:
    with stack.admin() as client:
        yield client
