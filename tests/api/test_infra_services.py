"""Infra services over HTTP and their health checker against the real embedded Postgres,
NATS and Temporal, a stopped service and an HTTP endpoint that fails then recovers:
probe counters stay out of the log, only changes of health are events, credentials in
the connection URL never come back."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import psycopg
import pytest
from support.api import add_member, assert_problem, created, etag_of, read_after, unique
from support.receiver import receiver
from support.stack import Stack, running_stack

from projections.infra_services.liveness import is_runtime_target_healthy
from signalyard import bootstrap

UNHEALTHY_AFTER = 2


@pytest.fixture(scope="module")
def infra(module_db_url: str) -> Iterator[Stack]:
    with running_stack(module_db_url, health_unhealthy_after=UNHEALTHY_AFTER) as stack:
        yield stack


@pytest.fixture(scope="module")
def checker(infra: Stack):
    store = bootstrap.build_store(infra.settings, bootstrap.database_url(infra.settings))
    try:
        yield bootstrap.build_health_checker(infra.settings, store)
    finally:
        store.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _org(client) -> str:
    return created(client.post("/v1/orgs", json={"name": unique("infra")}))["slug"]


def _register(admin, org: str, name: str, service_type: str, url: str) -> dict:
    body = {"name": name, "service_type": service_type, "connection_url": url, "timeout_seconds": 3}
    return created(admin.post(f"/v1/orgs/{org}/infra-services", json=body))


def _health_events(stack: Stack, service_id: str) -> list[bytes]:
    with psycopg.connect(stack.settings.database_url) as conn:
        rows = conn.execute(
            "SELECT state FROM eventstore.signalyard_events WHERE originator_id = %s"
            " AND topic LIKE %s ORDER BY originator_version",
            (service_id, "%InfraService.HealthChanged"),
        ).fetchall()
    return [bytes(r[0]) for r in rows]


def _probe_rounds(checker, rounds: int) -> None:
    """Each round a check interval later, so every service is due again."""
    for n in range(rounds):
        checker.run_once(datetime.now(tz=UTC) + timedelta(seconds=31 * (n + 1) + 600 * n))


def _read(admin, org: str, guid: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        got = admin.get(f"/v1/orgs/{org}/infra-services/{guid}")
        if got.status_code == 200:
            return got.json()
        assert time.monotonic() < deadline, got.text
        time.sleep(0.05)


def test_credentials_are_masked_in_answers_and_never_in_clear_in_events(infra):
    with infra.admin() as admin:
        org = _org(admin)
        url = "postgres://app:s3cr3t-pw@db.internal:5432/app?sslmode=require&password=s3cr3t-qs"
        made = _register(admin, org, "Main DB", "postgres", url)
        assert made["connection_url"] == (
            "postgres://app:***@db.internal:5432/app?sslmode=require&password=***"
        )
        got = admin.get(f"/v1/orgs/{org}/infra-services/main-db")
        assert "s3cr3t" not in got.text and got.json()["connection_url"] == made["connection_url"]
        patched = admin.patch(
            f"/v1/orgs/{org}/infra-services/main-db",
            json={"connection_url": "postgres://app:n3w-pw@db2.internal/app"},
            headers={"If-Match": etag_of(got)},
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["connection_url"] == "postgres://app:***@db2.internal/app"
        with psycopg.connect(infra.settings.database_url) as conn:
            states = conn.execute(
                "SELECT state FROM eventstore.signalyard_events WHERE originator_id = %s",
                (made["guid"],),
            ).fetchall()
        assert len(states) == 2
        assert not any(b"s3cr3t" in bytes(s[0]) or b"n3w-pw" in bytes(s[0]) for s in states)


def test_bad_input_names_the_field(infra):
    with infra.admin() as admin:
        org = _org(admin)
        base = f"/v1/orgs/{org}/infra-services"
        cases = [
            ({"service_type": "redis", "connection_url": "redis://x"}, "service_type"),
            ({"service_type": "postgres", "connection_url": "http://x"}, "connection_url"),
            ({"service_type": "nats", "connection_url": "nats://"}, "connection_url"),
            ({"service_type": "http", "connection_url": "https://x:99999/"}, "connection_url"),
            (
                {"service_type": "http", "connection_url": "https://x/", "timeout_seconds": 0},
                "timeout_seconds",
            ),
        ]
        for body, field in cases:
            assert_problem(admin.post(base, json={"name": "X", **body}), 422, field)


def test_viewers_read_admins_write(infra):
    with infra.admin() as admin:
        org = _org(admin)
        made = _register(admin, org, "Hook", "http", "https://example.com/health")
        _, viewer, write = add_member(admin, org, "viewer")
        _, maintainer, _ = add_member(admin, org, "maintainer")
        for token in (viewer, maintainer):
            with infra.client(token) as member:
                listed = member.get(f"/v1/orgs/{org}/infra-services", params=read_after(write))
                assert [s["guid"] for s in listed.json()["items"]] == [made["guid"]]
                body = {"name": "Y", "service_type": "http", "connection_url": "https://x/"}
                assert_problem(member.post(f"/v1/orgs/{org}/infra-services", json=body), 403)
        with infra.client(viewer) as outsider_view:
            other = _org(admin)
            assert_problem(outsider_view.get(f"/v1/orgs/{other}/infra-services"), 404)


def test_the_checker_probes_real_services_and_logs_only_changes_of_health(
    infra, checker, pg_server_url, nats_server_url, temporal_address
):
    with infra.admin() as admin, receiver([500, 500, 500, 200]) as flaky:
        org = _org(admin)
        services = {
            "pg": _register(admin, org, "pg", "postgres", pg_server_url),
            "nats": _register(admin, org, "nats", "nats", nats_server_url),
            "temporal": _register(
                admin, org, "temporal", "temporal", f"temporal://{temporal_address}"
            ),
            "stopped": _register(
                admin, org, "stopped", "postgres", f"postgres://u:pw@127.0.0.1:{_closed_port()}/x"
            ),
            "flaky": _register(admin, org, "flaky", "http", flaky.url),
        }
        for made in services.values():
            _read(admin, org, made["guid"])  # the checker finds services in the read model
        _probe_rounds(checker, 3)
        state = {k: _read(admin, org, v["guid"]) for k, v in services.items()}
        for name in ("pg", "nats", "temporal"):
            assert state[name]["is_healthy"] is True, state[name]["last_error"]
            assert state[name]["consecutive_fails"] == 0
            assert state[name]["last_checked_at"] is not None
            assert len(_health_events(infra, services[name]["guid"])) == 1
        stopped = state["stopped"]
        assert stopped["is_healthy"] is False and stopped["consecutive_fails"] == 3
        assert "pw" not in (stopped["last_error"] or "").replace("pwd", "")
        assert len(_health_events(infra, services["stopped"]["guid"])) == 1  # 3 fails, 1 event
        assert state["flaky"]["is_healthy"] is False
        _probe_rounds(checker, 1)  # the 4th answer is 200: back to healthy
        flaky_now = _read(admin, org, services["flaky"]["guid"])
        assert flaky_now["is_healthy"] is True and flaky_now["consecutive_fails"] == 0
        assert len(_health_events(infra, services["flaky"]["guid"])) == 2
        with psycopg.connect(infra.settings.database_url) as conn:
            assert is_runtime_target_healthy(conn, UUID(services["pg"]["guid"]))
            assert not is_runtime_target_healthy(conn, UUID(services["stopped"]["guid"]))
