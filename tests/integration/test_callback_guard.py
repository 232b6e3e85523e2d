"""The SSRF guard at connect time, with the resolver as the test seam: a host name that
resolves to a private address is refused, the address checked is the one connected to
(a rebinding resolver cannot swap it), and private receivers are reached only when allowed."""

from __future__ import annotations

from datetime import UTC, datetime

from standardwebhooks import Webhook
from support.receiver import receiver

from domain.callbacks.addresses import CallbackPolicy
from domain.callbacks.signing_key import new_secret
from workers.adapters.webhooks import WebhookSender

BODY = b'{"specversion":"1.0"}'


def _sender(policy: CallbackPolicy, answers: dict[str, list[list[str]]]) -> WebhookSender:
    """A sender whose DNS answers are scripted per host (each lookup takes the next)."""

    def resolve(host: str, port: int) -> list[str]:
        queue = answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return WebhookSender(policy, timeout_seconds=2, resolver=resolve)


def test_a_public_name_resolving_to_loopback_is_refused_before_connecting():
    with receiver([200]) as hook:
        port = hook.url.split(":")[2].split("/")[0]
        sender = _sender(CallbackPolicy(), {"hooks.example.com": [["127.0.0.1"]]})
        outcome = sender.send(f"http://hooks.example.com:{port}/hook", "msg_1", BODY, new_secret())
    assert outcome.status_code is None and "loopback" in (outcome.error or "")
    assert hook.got == []


def test_localhost_by_the_system_resolver_is_refused():
    with receiver([200]) as hook:
        sender = WebhookSender(CallbackPolicy(), timeout_seconds=2)
        outcome = sender.send(hook.url.replace("127.0.0.1", "localhost"), "m", BODY, new_secret())
    assert outcome.status_code is None and "not allowed" in (outcome.error or "")
    assert hook.got == []


def test_any_private_answer_among_several_refuses_the_host():
    sender = _sender(CallbackPolicy(), {"mixed.example.com": [["93.184.216.34", "10.0.0.5"]]})
    outcome = sender.send("http://mixed.example.com/hook", "m", BODY, new_secret())
    assert "private" in (outcome.error or "")


def test_literal_private_addresses_are_refused_at_connect_time_too():
    sender = WebhookSender(CallbackPolicy(), timeout_seconds=2)
    for url in ("http://169.254.169.254/", "http://[::ffff:127.0.0.1]:9/", "http://0.0.0.0:9/"):
        outcome = sender.send(url, "m", BODY, new_secret())
        assert outcome.status_code is None and "not allowed" in (outcome.error or ""), url


def test_the_connection_goes_to_the_address_that_was_checked():
    """A rebinding resolver answers public first, private next: the guard resolves once per
    connection and connects to what it approved, so the private answer is never used."""
    with receiver([200]) as hook:
        port = hook.url.split(":")[2].split("/")[0]
        allowed = CallbackPolicy(allowed_hosts=frozenset({"127.0.0.1"}))
        rebinding = {"rebind.example.com": [["127.0.0.1"], ["10.9.9.9"]]}
        sender = _sender(allowed, rebinding)
        outcome = sender.send(f"http://rebind.example.com:{port}/hook", "m", BODY, new_secret())
        assert outcome.status_code == 200
        assert hook.got[0].headers["host"] == f"rebind.example.com:{port}"


def test_a_private_receiver_is_reached_when_allowed_and_the_signature_verifies():
    secret = new_secret()
    with receiver([204]) as hook:
        for policy in (
            CallbackPolicy(allow_private=True),
            CallbackPolicy(allowed_hosts=frozenset({"127.0.0.1"})),
        ):
            sender = WebhookSender(policy, timeout_seconds=2)
            at = datetime.now(tz=UTC)
            assert sender.send(hook.url, "msg_2", BODY, secret, at).succeeded
    for request in hook.got:
        Webhook(secret).verify(request.body, request.headers)
        assert request.headers["webhook-id"] == "msg_2"
