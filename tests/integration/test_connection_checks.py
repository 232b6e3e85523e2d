"""Pooled connections the server closed are found at checkout, all at once, and a read
that still meets one is run again on a fresh connection."""

from __future__ import annotations

import asyncio
import time
import uuid

import psycopg
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from api.read_retry import ReadRetryRoute
from signalyard.connections import async_pool, guard, with_options


def _terminate(url: str, application_name: str) -> int:
    with psycopg.connect(url, autocommit=True) as admin:
        cur = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            (application_name,),
        )
        killed = cur.fetchone()[0]
    time.sleep(0.2)  # the backends' goodbyes reach our sockets
    return killed


def test_a_pool_whose_connections_the_server_closed_hands_out_a_live_one_at_once(fresh_db_url):
    name = f"checks-{uuid.uuid4().hex[:8]}"
    pool = ConnectionPool(fresh_db_url, min_size=4, open=False, kwargs={"application_name": name})
    guard(pool)
    with pool:
        pool.wait()
        with pool.connection() as conn:
            assert "keepalives_idle=10" in conn.info.dsn
        assert _terminate(fresh_db_url, name) == 4
        started = time.monotonic()
        for _ in range(4):
            with pool.connection() as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        # psycopg_pool alone waits 1 s, then 2 s... between one dead connection and the next.
        assert time.monotonic() - started < 0.8


def test_the_async_read_pool_recovers_the_same_way(fresh_db_url):
    name = f"checks-{uuid.uuid4().hex[:8]}"

    async def scenario() -> float:
        pool = async_pool(fresh_db_url, min_size=4, open=False, kwargs={"application_name": name})
        async with pool:
            await pool.wait()
            assert await asyncio.to_thread(_terminate, fresh_db_url, name) == 4
            started = time.monotonic()
            for _ in range(4):
                async with pool.connection() as conn:
                    assert await (await conn.execute("SELECT 1")).fetchone() == (1,)
            return time.monotonic() - started

    assert asyncio.run(scenario()) < 0.8


def test_a_read_whose_connection_dies_is_run_again_once_and_a_write_is_not(fresh_db_url):
    url = with_options(fresh_db_url)
    attempts: list[str] = []
    router = APIRouter(route_class=ReadRetryRoute)

    def query_on_a_dying_connection(kind: str) -> int:
        attempts.append(kind)
        with psycopg.connect(url, autocommit=True) as conn:
            if len(attempts) == 1:  # the first try's backend goes away under it
                with psycopg.connect(url, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
                time.sleep(0.1)
            return conn.execute("SELECT 1").fetchone()[0]

    @router.get("/read")
    def read() -> int:
        return query_on_a_dying_connection("read")

    @router.post("/write")
    def write() -> int:
        return query_on_a_dying_connection("write")

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        assert client.get("/read").json() == 1
        assert attempts == ["read", "read"]
        attempts.clear()
        with pytest.raises(psycopg.OperationalError):
            client.post("/write")
        assert attempts == ["write"]
