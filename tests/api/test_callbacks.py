"""Signed callbacks end to end: the signing secret shown once, a real receiver verifying
each signature with `standardwebhooks`, retries with backoff until delivered, dead letters
after the limit, re-drive through the API, RBAC, and the SSRF guard at submission."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from standardwebhooks import Webhook
from support.api import add_member, assert_problem, created, read_after, unique
from support.receiver import receiver
from support.stack import Stack, running_stack

from signalyard import bootstrap


@pytest.fixture(scope="module")
def hooks(module_db_url: str) -> Iterator[Stack]:
    """A stack whose callbacks may reach 127.0.0.1, retrying fast, three tries at most,
    with its callback sender running."""
    with running_stack(
        module_db_url,
        callback_allowed_hosts="127.0.0.1",
        callback_max_attempts=3,
        callback_backoff_base_seconds=0.05,
        callback_backoff_max_seconds=0.2,
    ) as stack:
        store = bootstrap.build_store(stack.settings, bootstrap.database_url(stack.settings))
        worker = bootstrap.build_callback_worker(stack.settings, store, poll_seconds=0.05)
        stop = threading.Event()
        thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
        thread.start()
        try:
            yield stack
        finally:
            stop.set()
            thread.join(10)
            worker.sender.close()
            store.close()


def _org(client) -> str:
    return created(client.post("/v1/orgs", json={"name": unique("hooks")}))["slug"]


def _settled(client, org: str, guid: str, status: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        row = client.get(f"/v1/orgs/{org}/callback-deliveries/{guid}")
        if row.status_code == 200 and row.json()["status"] == status:
            return row.json()
        assert time.monotonic() < deadline, row.text
        time.sleep(0.05)


def test_delivered_on_the_third_try_each_signed_with_the_same_webhook_id(hooks):
    with hooks.admin() as admin:
        org = _org(admin)
        rotated = admin.post(f"/v1/orgs/{org}/callback-signing-key:rotate")
        secret = created(rotated)["secret"]
        assert secret.startswith("whsec_")
        with receiver([500, 500, 200]) as hook:
            ping = created(
                admin.post(f"/v1/orgs/{org}/callback-deliveries:ping", json={"url": hook.url})
            )
            row = _settled(admin, org, ping["guid"], "delivered")
        assert row["total_tries"] == 3 and row["last_status_code"] == 200
        assert len(hook.got) == 3
        assert {r.headers["webhook-id"] for r in hook.got} == {ping["guid"]}
        for request in hook.got:
            Webhook(secret).verify(request.body, request.headers)  # raises when forged
        event = json.loads(hook.got[0].body)
        assert event["type"] == "io.signalyard.callback.ping.v1"
        assert event["id"] == ping["guid"] and event["specversion"] == "1.0"
        assert hook.got[0].headers["content-type"] == "application/cloudevents+json"


def test_always_failing_is_dead_lettered_after_the_limit_then_redriven_to_delivery(hooks):
    with hooks.admin() as admin:
        org = _org(admin)
        secret = created(admin.post(f"/v1/orgs/{org}/callback-signing-key:rotate"))["secret"]
        with receiver([500]) as hook:
            ping = created(
                admin.post(f"/v1/orgs/{org}/callback-deliveries:ping", json={"url": hook.url})
            )
            dead = _settled(admin, org, ping["guid"], "dead_lettered")
            assert dead["total_tries"] == 3 and len(hook.got) == 3
            assert dead["dead_letter_reason"] == "no success after 3 tries"
            listed = admin.get(
                f"/v1/orgs/{org}/callback-deliveries", params={"status": "dead_lettered"}
            )
            assert [d["guid"] for d in listed.json()["items"]] == [ping["guid"]]
            hook.statuses[:] = [200]
            redriven = admin.post(f"/v1/orgs/{org}/callback-deliveries/{ping['guid']}:redrive")
            assert redriven.status_code == 200, redriven.text
            done = _settled(admin, org, ping["guid"], "delivered")
        assert done["rounds"] == 2 and done["total_tries"] == 4
        assert len({r.headers["webhook-id"] for r in hook.got}) == 1
        Webhook(secret).verify(hook.got[-1].body, hook.got[-1].headers)
        again = admin.post(f"/v1/orgs/{org}/callback-deliveries/{ping['guid']}:redrive")
        assert_problem(again, 409)


def test_a_redirect_is_a_failed_try_and_never_followed(hooks):
    with hooks.admin() as admin:
        org = _org(admin)
        created(admin.post(f"/v1/orgs/{org}/callback-signing-key:rotate"))
        with receiver([200]) as inner, receiver([302], redirect_to="") as outer:
            outer.redirect_to = inner.url.replace("127.0.0.1", "localhost")
            ping = created(
                admin.post(f"/v1/orgs/{org}/callback-deliveries:ping", json={"url": outer.url})
            )
            dead = _settled(admin, org, ping["guid"], "dead_lettered")
        assert dead["last_status_code"] == 302 and dead["last_error"] == "redirect not followed"
        assert inner.got == []


def test_without_a_signing_key_nothing_is_sent(hooks):
    with hooks.admin() as admin:
        org = _org(admin)
        with receiver([200]) as hook:
            ping = created(
                admin.post(f"/v1/orgs/{org}/callback-deliveries:ping", json={"url": hook.url})
            )
            dead = _settled(admin, org, ping["guid"], "dead_lettered")
        assert hook.got == [] and "no callback signing key" in dead["last_error"]


def test_private_and_invalid_urls_are_refused_at_submission(hooks):
    with hooks.admin() as admin:
        org = _org(admin)
        for url in (
            "http://10.0.0.1/x",
            "http://[::1]/x",
            "gopher://example.com/",
            "http://u:p@example.com/",
        ):
            refused = admin.post(f"/v1/orgs/{org}/callback-deliveries:ping", json={"url": url})
            assert_problem(refused, 422, "callback_url")


def test_the_secret_is_shown_once_and_never_stored_in_clear(hooks):
    with hooks.admin() as admin:
        org = _org(admin)
        first = admin.post(
            f"/v1/orgs/{org}/callback-signing-key:rotate", headers={"Idempotency-Key": "k1"}
        )
        again = admin.post(
            f"/v1/orgs/{org}/callback-signing-key:rotate", headers={"Idempotency-Key": "k1"}
        )
        secret = created(first)["secret"]
        assert secret not in again.text
        url = hooks.settings.database_url
        with psycopg.connect(url) as conn:
            events = conn.execute("SELECT state FROM eventstore.signalyard_events").fetchall()
            sealed = conn.execute(
                "SELECT sealed FROM eventstore.callback_signing_secrets"
            ).fetchall()
            outcomes = conn.execute("SELECT body::text FROM eventstore.command_outcomes").fetchall()
        raw = secret.removeprefix("whsec_").encode()
        assert not any(raw in bytes(row[0]) for row in events)
        assert sealed and not any(secret in row[0] for row in sealed)
        assert not any(row[0] and secret in row[0] for row in outcomes)


def test_viewers_read_deliveries_admins_redrive_and_rotate(hooks):
    with hooks.admin() as admin:
        org = _org(admin)
        _, viewer_token, write = add_member(admin, org, "viewer")
        _, operator_token, _ = add_member(admin, org, "operator")
        listed_by = {}
        for token in (viewer_token, operator_token):
            with hooks.client(token) as member:
                listed_by[token] = member.get(
                    f"/v1/orgs/{org}/callback-deliveries", params=read_after(write)
                )
                assert_problem(member.post(f"/v1/orgs/{org}/callback-signing-key:rotate"), 403)
                ping = member.post(
                    f"/v1/orgs/{org}/callback-deliveries:ping", json={"url": "https://example.com/"}
                )
                assert_problem(ping, 403)
        assert all(r.status_code == 200 for r in listed_by.values())
