"""An unknown outcome is never reported as "not done": a write whose answer was lost is
looked up in the database; while it cannot be, the Idempotency-Key stays bound to it and a
retry with the key learns what happened instead of writing again."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from eventsourcing.persistence import OperationalError
from support.api import event_count, unique
from support.stack import Stack, running_stack

from signalyard.eventstore import outcomes


@pytest.fixture(scope="module")
def own_stack(module_db_url: str) -> Iterator[Stack]:
    with running_stack(module_db_url, idempotency_lease_seconds=1) as running:
        yield running


def _recorder(stack: Stack):
    return stack._server.config.app.state.services.store.recorder  # type: ignore[union-attr]


def _teams(client, org: str) -> list[str]:
    return [t["name"] for t in client.get(f"/v1/orgs/{org}/teams").json()["items"]]


def test_a_write_whose_answer_is_lost_after_it_committed_succeeds_once(own_stack, monkeypatch):
    recorder = _recorder(own_stack)
    real = recorder._run_group_transaction
    lost: list[int] = []

    def commit_then_lose_the_answer(params):
        rows = real(params)
        if not lost:
            lost.append(1)
            raise outcomes.OutcomeUnknown("server closed the connection", backend_pid=-1)
        return rows

    with own_stack.admin() as admin:
        org = admin.post("/v1/orgs", json={"name": unique("Lost")}).json()["slug"]
        monkeypatch.setattr(recorder, "_run_group_transaction", commit_then_lose_the_answer)
        name = unique("t")
        created = admin.post(f"/v1/orgs/{org}/teams", json={"name": name})
        assert created.status_code == 201, created.text
        assert lost == [1]
        assert _teams(admin, org).count(name) == 1


def test_a_write_killed_in_the_server_before_it_committed_is_sent_again_once(own_stack):
    table = f"{own_stack.settings.event_schema}.signalyard_events"
    url = own_stack.settings.database_url
    with own_stack.admin() as admin:
        org = admin.post("/v1/orgs", json={"name": unique("Killed")}).json()["slug"]
        name = unique("t")
        with psycopg.connect(url, autocommit=True) as blocker:
            # Appends wait for this lock in the server: the statement is sent, not done.
            blocker.execute("SELECT pg_advisory_lock(%s, %s::regclass::oid::int4)", (0x5159, table))
            result: dict = {}
            writer = threading.Thread(
                target=lambda: result.update(
                    r=admin.post(f"/v1/orgs/{org}/teams", json={"name": name})
                )
            )
            writer.start()
            pid = _appending_backend(blocker)
            blocker.execute("SELECT pg_terminate_backend(%s)", (pid,))
            time.sleep(0.2)
            blocker.execute("SELECT pg_advisory_unlock_all()")
            writer.join(timeout=30)
        assert result["r"].status_code == 201, result["r"].text
        assert _teams(admin, org).count(name) == 1


def _appending_backend(conn: psycopg.Connection) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT n_id, o_id%'"
            " AND wait_event_type = 'Lock'"
        ).fetchone()
        if row:
            return row[0]
        time.sleep(0.02)
    raise AssertionError("the append never waited for the lock")


def test_an_outcome_that_cannot_be_learned_keeps_the_key_and_the_retry_learns_it(
    own_stack, monkeypatch
):
    recorder = _recorder(own_stack)
    real = recorder._run_group_transaction
    monkeypatch.setattr(outcomes, "RESOLVE_SECONDS", 0.2)

    def commit_then_lose_the_database(params):
        real(params)
        raise outcomes.OutcomeUnknown("server closed the connection", backend_pid=-1)

    def unreachable(*args):
        raise OperationalError("connection refused")

    with own_stack.admin() as admin:
        org = admin.post("/v1/orgs", json={"name": unique("Unknown")}).json()["slug"]
        name = unique("t")
        key = {"Idempotency-Key": unique("key")}
        monkeypatch.setattr(recorder, "_run_group_transaction", commit_then_lose_the_database)
        monkeypatch.setattr(outcomes, "_stored_rows", unreachable)
        before = event_count(own_stack)
        first = admin.post(f"/v1/orgs/{org}/teams", json={"name": name}, headers=key)
        assert first.status_code == 503, first.text
        assert first.headers["X-Signalyard-Outcome"] == "unknown"
        assert first.json()["title"] == "Outcome unknown"
        monkeypatch.undo()
        retry = admin.post(f"/v1/orgs/{org}/teams", json={"name": name}, headers=key)
        deadline = time.monotonic() + 10
        while retry.status_code == 409 and time.monotonic() < deadline:  # lease still on
            time.sleep(float(retry.headers["Retry-After"]))
            retry = admin.post(f"/v1/orgs/{org}/teams", json={"name": name}, headers=key)
        assert retry.status_code == 200, retry.text
        assert retry.json()["outcome"] == "committed"
        assert int(retry.headers["X-Signalyard-Position"]) > 0
        assert event_count(own_stack) == before + 2  # the team and its slug claim, once
        assert _teams(admin, org).count(name) == 1


def test_a_key_left_pending_by_a_request_that_wrote_nothing_is_taken_over(own_stack):
    with own_stack.admin() as admin:
        org = admin.post("/v1/orgs", json={"name": unique("Pending")}).json()["slug"]
        key = unique("key")
        path = f"/v1/orgs/{org}/teams"
        body = b'{"name": "Orphan"}'
        _reserve_as_a_dead_request(own_stack, key, path, body)
        response = admin.post(
            path, content=body, headers={"Idempotency-Key": key, "Content-Type": "application/json"}
        )
        deadline = time.monotonic() + 10
        while response.status_code == 409 and time.monotonic() < deadline:
            time.sleep(float(response.headers["Retry-After"]))
            response = admin.post(
                path,
                content=body,
                headers={"Idempotency-Key": key, "Content-Type": "application/json"},
            )
        assert response.status_code == 201, response.text


def _reserve_as_a_dead_request(stack: Stack, key: str, path: str, body: bytes) -> None:
    from api.idempotency import fingerprint
    from domain.identity.token import token_id_for

    with psycopg.connect(stack.settings.database_url, autocommit=True) as conn:
        conn.execute(
            f"INSERT INTO {stack.settings.event_schema}.command_outcomes"
            " (scope, key, attempt, fingerprint, state, lease_until)"
            " VALUES (%s, %s, gen_random_uuid(), %s, 'pending', now() + interval '1 second')",
            (str(token_id_for(stack.admin_token)), key, fingerprint("POST", path, b"", body)),
        )


def test_a_superseded_attempt_cannot_commit(own_stack):
    with own_stack.admin() as admin:
        org = admin.post("/v1/orgs", json={"name": unique("Fenced")}).json()["slug"]
    store = own_stack._server.config.app.state.services.store  # type: ignore[union-attr]
    from domain.core.errors import Superseded
    from domain.identity.service import IdentityService
    from domain.tenancy.service import TenancyService

    principal = IdentityService(store).authenticate(own_stack.admin_token)
    with psycopg.connect(own_stack.settings.database_url, autocommit=True) as conn:
        conn.execute(
            f"INSERT INTO {own_stack.settings.event_schema}.command_outcomes"
            " (scope, key, attempt, fingerprint, state) VALUES"
            " ('s', 'k', gen_random_uuid(), 'f', 'pending')"
        )
    stale = ("s", "k", "00000000-0000-0000-0000-000000000001")  # not the current attempt
    before = event_count(own_stack)
    with pytest.raises(Superseded):
        TenancyService(store).hierarchy.create_team(
            principal.context("r", fence=stale), org, "Late", "late"
        )
    assert event_count(own_stack) == before


def test_a_key_that_cannot_be_reserved_is_a_503_with_retry_after(own_stack, monkeypatch):
    idempotency = own_stack._server.config.app.state.services.idempotency  # type: ignore[union-attr]

    async def database_away(*args):
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(idempotency, "begin", database_away)
    with own_stack.admin() as admin:
        response = admin.post(
            "/v1/orgs", json={"name": unique("Away")}, headers={"Idempotency-Key": unique("k")}
        )
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
