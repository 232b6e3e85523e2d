"""Push dispatch on the real stack: a queued task is offered to a push dispatcher's endpoint
as a signed CloudEvent (Standard Webhooks, the org's signing secret); the remote dispatcher,
a real HTTP server in this test, verifies the signature, claims the attempt through the
dispatcher API and reports its outcome. An endpoint that never answers gets its offer
retried and dead-lettered with the reason, visible and re-drivable through the API."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook
from support.dispatch import (
    callback_sender,
    offers_running,
    own_bus,
    relay_running,
    task_tree,
    wait_status,
)
from support.stack import Stack, bus_settings, free_port, running_stack

from domain.infra.dispatcher_instance import dispatcher_id_of
from signalyard import bootstrap
from workers.dispatcher.offers import OFFERED_TYPE, offer_outcome

DISPATCH = "/v1/dispatch"


@pytest.fixture(scope="module")
def stack(module_db_url: str, nats_bus: Any) -> Iterator[Stack]:
    options = {
        **bus_settings(nats_bus),
        **own_bus(),
        "callback_allowed_hosts": "127.0.0.1",
        "callback_max_attempts": 3,
        "callback_backoff_base_seconds": 0.05,
        "callback_backoff_max_seconds": 0.2,
        "dispatcher_lost_after_seconds": 120.0,
    }
    with (
        running_stack(module_db_url, **options) as running,
        relay_running(running.settings),
        callback_sender(running.settings),
        offers_running(running.settings),
    ):
        yield running


@dataclass
class RemoteDispatcher:
    """What a push dispatcher does with an offer: verify it, claim it, run it, report."""

    api: str
    token: str
    signing_secret: str
    url: str = ""
    offers: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    claims: list[int] = field(default_factory=list)

    def take(self, body: bytes, headers: dict[str, str]) -> int:
        try:
            Webhook(self.signing_secret).verify(body, headers)
        except Exception as exc:  # noqa: BLE001 - a bad signature is refused, and noted
            self.refused.append(str(exc))
            return 401
        offer = json.loads(body)
        self.offers.append(offer)
        data = offer["data"]
        task, attempt = data["task_id"], data["attempt"]
        with httpx.Client(
            base_url=self.api, headers={"Authorization": f"Bearer {self.token}"}
        ) as client:
            claimed = client.post(f"{DISPATCH}/tasks/{task}:claim", json={"attempt": attempt})
            self.claims.append(claimed.status_code)
            if claimed.status_code == 200:
                client.post(f"{DISPATCH}/tasks/{task}:start", json={"attempt": attempt})
                client.post(
                    f"{DISPATCH}/tasks/{task}:succeed",
                    json={"attempt": attempt, "detail": {"ran_by": "remote"}},
                )
        return 202


@contextmanager
def serving(remote: RemoteDispatcher, port: int = 0) -> Iterator[RemoteDispatcher]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            status = remote.take(body, {k.lower(): v for k, v in self.headers.items()})
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    remote.url = f"http://127.0.0.1:{server.server_address[1]}/offers"
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="remote-dispatcher")
    thread.start()
    try:
        yield remote
    finally:
        server.shutdown()
        server.server_close()


def _push_dispatcher(stack: Stack, url: str) -> tuple[str, str]:
    """A push dispatcher's credential, registered with its endpoint: (name, token)."""
    name = f"push-{time.monotonic_ns()}"
    token = bootstrap.mint_dispatcher_credential(stack.settings, name, "push test")
    with stack.client(token) as client:
        registered = client.post(
            f"{DISPATCH}/register",
            json={"runtime": "remote", "dispatch_mode": "push", "endpoint_url": url},
        )
    assert registered.status_code == 200, registered.text
    return name, token


def _submit(admin: httpx.Client, tree: Any) -> dict:
    sent = admin.post(
        f"{tree.project_path}/tasks", json={"brief": "pushed", "agent_image": "acme/remote:1"}
    )
    assert sent.status_code == 202, sent.text
    return sent.json()


def _delivery(admin: httpx.Client, tree: Any, task: dict, name: str, wanted: set[str]) -> dict:
    outcome = offer_outcome(dispatcher_id_of(name))
    deadline = time.monotonic() + 30
    found: dict = {}
    while time.monotonic() < deadline:
        items = admin.get(f"{tree.org_path}/callback-deliveries", params={"page_size": 200}).json()[
            "items"
        ]
        found = next(
            (d for d in items if d["subject_id"] == task["guid"] and d["outcome"] == outcome), {}
        )
        if found.get("status") in wanted:
            return found
        time.sleep(0.1)
    raise AssertionError(f"offer never became {wanted}: {found}")


def test_a_queued_task_is_offered_signed_and_the_remote_claims_and_reports_it(stack):
    with stack.admin() as admin:
        tree = task_tree(admin, "push")
        secret = admin.post(f"{tree.org_path}/callback-signing-key:rotate").json()["secret"]
        remote = RemoteDispatcher(stack.base_url, "", secret)
        with serving(remote):
            name, remote.token = _push_dispatcher(stack, remote.url)
            task = _submit(admin, tree)
            done = wait_status(admin, tree, task["guid"], {"succeeded", "failed"})
            delivery = _delivery(admin, tree, task, name, {"delivered"})
    assert not remote.refused, remote.refused
    assert done["status"] == "succeeded" and done["result"] == {"ran_by": "remote"}
    assert done["dispatcher_id"] == name
    mine = [o for o in remote.offers if o["data"]["task_id"] == task["guid"]]
    assert len(mine) == 1 and remote.claims.count(200) >= 1
    assert mine[0]["type"] == OFFERED_TYPE and mine[0]["data"]["attempt"] == 1
    assert delivery["event_type"] == OFFERED_TYPE and delivery["tries"] == 1


def test_an_offer_to_a_dead_endpoint_is_dead_lettered_with_its_reason_and_redriven(stack):
    port = free_port()  # nothing listens there yet
    with stack.admin() as admin:
        tree = task_tree(admin, "push-dead")
        secret = admin.post(f"{tree.org_path}/callback-signing-key:rotate").json()["secret"]
        name, token = _push_dispatcher(stack, f"http://127.0.0.1:{port}/offers")
        task = _submit(admin, tree)
        dead = _delivery(admin, tree, task, name, {"dead_lettered"})
        assert dead["dead_letter_reason"] == "no success after 3 tries"
        assert dead["last_error"].startswith("not connected")
        queued = admin.get(f"{tree.project_path}/tasks/{task['guid']}").json()
        assert queued["status"] == "queued"  # an offer is only an offer
        remote = RemoteDispatcher(stack.base_url, token, secret)
        with serving(remote, port):
            redriven = admin.post(f"{tree.org_path}/callback-deliveries/{dead['guid']}:redrive")
            assert redriven.status_code == 200, redriven.text
            done = wait_status(admin, tree, task["guid"], {"succeeded", "failed"})
            delivered = _delivery(admin, tree, task, name, {"delivered"})
    assert done["status"] == "succeeded" and done["dispatcher_id"] == name
    assert delivered["rounds"] == 2 and delivered["guid"] == dead["guid"]
    assert [o["id"] for o in remote.offers] == [dead["guid"]]  # the same webhook-id
