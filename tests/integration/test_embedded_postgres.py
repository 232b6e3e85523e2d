"""The embedded Postgres launcher, against the real server from the wheel.

Independent of DATABASE_URL: every test starts its own server in its own directory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from signalyard.embedded import (
    EmbeddedPostgres,
    EmbeddedPostgresError,
    EmbeddedService,
    resolve_database_url,
)
from signalyard.settings import Settings


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _port(url: str) -> int:
    return int(psycopg.conninfo.conninfo_to_dict(url)["port"])


def test_data_survives_a_restart_and_stop_is_idempotent(service_dir: Path) -> None:
    server = EmbeddedPostgres(service_dir)
    url = server.start()
    assert url == server.url
    assert url.startswith("postgresql://postgres:") and url.endswith("/signalyard")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
        conn.execute("INSERT INTO notes VALUES (1, 'kept')")
        assert conn.execute("SHOW max_connections").fetchone() == ("200",)
        assert conn.execute("SHOW fsync").fetchone() == ("on",)
    server.stop()
    server.stop()
    assert not _accepts(_port(url))

    again = EmbeddedPostgres(service_dir)
    try:
        # Usually the same port (reused when free), but a parallel test may have taken it.
        assert again.start().endswith("/signalyard")
        with psycopg.connect(again.url) as conn:
            assert conn.execute("SELECT body FROM notes WHERE id = 1").fetchone() == ("kept",)
    finally:
        again.stop()
    again.stop()


def test_stop_before_start_is_a_no_op(service_dir: Path) -> None:
    EmbeddedPostgres(service_dir).stop()


def test_health_follows_the_server_and_a_restart_keeps_its_url(service_dir: Path) -> None:
    server = EmbeddedPostgres(service_dir)
    assert isinstance(server, EmbeddedService) and not server.healthy()
    with server:
        url = server.url
        assert server.healthy()
        started = "SELECT pg_postmaster_start_time()"
        with psycopg.connect(url) as conn:
            before = conn.execute(started).fetchone()
        server.restart()
        assert server.url == url and server.healthy()
        with psycopg.connect(url) as conn:  # a new server answers on the same URL
            assert conn.execute(started).fetchone() != before
    assert not server.healthy()


def test_two_servers_run_side_by_side(service_dir: Path) -> None:
    with EmbeddedPostgres(service_dir / "a") as a, EmbeddedPostgres(service_dir / "b") as b:
        assert _port(a.url) != _port(b.url)
        for server in (a, b):
            with psycopg.connect(server.url) as conn:
                assert conn.execute("SELECT current_database()").fetchone() == ("signalyard",)


def test_a_data_dir_has_one_launcher_at_a_time(service_dir: Path) -> None:
    with EmbeddedPostgres(service_dir):
        with pytest.raises(EmbeddedPostgresError, match="in use"):
            EmbeddedPostgres(service_dir).start()


def test_start_on_a_taken_port_fails_with_the_server_log(service_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(EmbeddedPostgresError) as failure:
            EmbeddedPostgres(service_dir, port=port).start()
    message = str(failure.value)
    assert "Address already in use" in message
    assert str(service_dir / "postgres.log") in message
    # The failed attempt released the directory: a new start there works.
    with EmbeddedPostgres(service_dir) as server, psycopg.connect(server.url) as conn:
        conn.execute("SELECT 1")


def test_a_server_left_by_a_killed_owner_is_replaced(service_dir: Path) -> None:
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from signalyard.embedded import EmbeddedPostgres as E; "
            "print(E(sys.argv[1]).start(), flush=True); time.sleep(60)",
            str(service_dir),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = owner.stdout.readline().strip()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE survived (x int)")
    finally:
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait()
    assert _accepts(_port(url))  # the orphaned postmaster still runs

    with EmbeddedPostgres(service_dir) as server, psycopg.connect(server.url) as conn:
        assert conn.execute("SELECT count(*) FROM survived").fetchone() == (0,)


def test_resolve_database_url(service_dir: Path) -> None:
    external = "postgresql://someone@db.example:5432/prod"
    assert resolve_database_url(Settings(database_url=external, data_dir=service_dir)) == external
    with pytest.raises(EmbeddedPostgresError, match="signalyard dev"):
        resolve_database_url(Settings(data_dir=service_dir))
    with EmbeddedPostgres(service_dir) as server:
        assert resolve_database_url(Settings(data_dir=service_dir)) == server.url
    with pytest.raises(EmbeddedPostgresError, match="DATABASE_URL"):
        resolve_database_url(Settings(data_dir=service_dir))


def _without_password(url: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info.pop("password")
    return psycopg.conninfo.make_conninfo(**info)


def test_the_server_asks_every_client_for_a_password_only_the_owner_can_read(
    service_dir: Path,
) -> None:
    server = EmbeddedPostgres(service_dir)
    url = server.start()
    try:
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(_without_password(url), connect_timeout=5).close()
        psycopg.connect(url, connect_timeout=5).close()
        for secret_file in (server.password_path, server.state_path):
            assert secret_file.stat().st_mode & 0o077 == 0, secret_file
        assert server.password_path.read_text().strip() in url
    finally:
        server.stop()


def test_a_data_dir_made_when_the_server_trusted_everyone_is_secured_on_start(
    service_dir: Path,
) -> None:
    server = EmbeddedPostgres(service_dir)
    server.start()
    server.stop()
    hba = server.pgdata / "pg_hba.conf"
    hba.write_text(hba.read_text().replace("scram-sha-256", "trust"))
    server.password_path.unlink()  # as before passwords existed
    again = EmbeddedPostgres(service_dir)
    url = again.start()
    try:
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(_without_password(url), connect_timeout=5).close()
        psycopg.connect(url, connect_timeout=5).close()
    finally:
        again.stop()
