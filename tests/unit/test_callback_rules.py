"""The SSRF rule on addresses, callback URLs at submission, backoff, and the delivery's
life: tries, dead letter after the limit or the age, re-drive."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.callbacks.addresses import CallbackPolicy, refusal
from domain.callbacks.backoff import RetryPolicy
from domain.callbacks.callback_url import validate_callback_url
from domain.callbacks.delivery import CallbackDelivery, DeliveryStatus
from domain.core.errors import Conflict, InvalidInput

REFUSED = [
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "127.0.0.1",
    "127.8.9.10",
    "169.254.169.254",
    "0.0.0.0",
    "100.64.0.1",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
]
PUBLIC = ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address):
    assert refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "http://",
        "https://user:pw@example.com/hook",
        "http://127.0.0.1/hook",
        "http://[::1]:8080/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/",
        "http://[::ffff:10.0.0.1]/",
        "https://example.com:99999/",
        "not a url",
        "",
    ],
)
def test_bad_or_private_callback_urls_are_refused_naming_the_field(url):
    with pytest.raises(InvalidInput) as refused:
        validate_callback_url(url, CallbackPolicy())
    assert refused.value.field == "callback_url"


def test_private_literals_pass_when_configured():
    assert validate_callback_url("http://127.0.0.1:9/x", CallbackPolicy(allow_private=True))
    allowed = CallbackPolicy(allowed_hosts=frozenset({"10.0.0.7"}))
    assert validate_callback_url("http://10.0.0.7/x", allowed)
    with pytest.raises(InvalidInput):
        validate_callback_url("http://10.0.0.8/x", allowed)


def test_host_names_pass_submission_and_are_checked_after_resolution():
    assert validate_callback_url("https://hooks.example.com/x", CallbackPolicy())


def test_backoff_is_exponential_and_capped_with_full_jitter():
    policy = RetryPolicy(base_seconds=2, max_seconds=10)
    assert [policy.delay(n, rand=lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 10, 10]
    assert policy.delay(3, rand=lambda: 0.0) == 0
    assert 0 <= policy.delay(3) <= 8


def _delivery(max_tries=3, age=timedelta(hours=1)) -> CallbackDelivery:
    now = datetime.now(tz=UTC)
    task = uuid4()
    return CallbackDelivery(
        id=CallbackDelivery.create_id(task, 1, "succeeded"),
        organization_id=uuid4(),
        subject_id=task,
        attempt=1,
        outcome="succeeded",
        event_type="io.signalyard.task.succeeded.v1",
        url="https://hooks.example.com/x",
        payload={"status": "succeeded"},
        max_tries=max_tries,
        expires_at=now + age,
        due_at=now,
        meta={},
    )


def test_the_delivery_id_derives_from_subject_attempt_and_outcome():
    task = uuid4()
    same = CallbackDelivery.create_id(task, 1, "failed")
    assert same == CallbackDelivery.create_id(task, 1, "failed")
    assert same != CallbackDelivery.create_id(task, 2, "failed")


def test_a_2xx_delivers_and_nothing_more_can_be_recorded():
    d, now = _delivery(), datetime.now(tz=UTC)
    d.record_try(500, "HTTP 500", now, now + timedelta(seconds=1), meta={})
    assert d.is_pending and d.due_at == now + timedelta(seconds=1) and d.tries == 1
    d.record_try(204, None, now, now, meta={})
    assert d.status is DeliveryStatus.DELIVERED and d.due_at is None and d.total_tries == 2
    with pytest.raises(Conflict):
        d.record_try(200, None, now, now, meta={})


def test_dead_lettered_after_the_limit_then_redriven_for_a_new_round():
    d, now = _delivery(max_tries=2), datetime.now(tz=UTC)
    d.record_try(None, "timed out", now, now, meta={})
    d.record_try(503, "HTTP 503", now, now, meta={})
    assert d.status is DeliveryStatus.DEAD_LETTERED
    assert d.dead_letter_reason == "no success after 2 tries"
    d.redrive(now, now + timedelta(hours=1), meta={})
    assert d.is_due(now) and d.tries == 0 and d.rounds == 2 and d.total_tries == 2
    with pytest.raises(Conflict):
        d.redrive(now, now, meta={})


def test_a_retry_past_the_max_age_dead_letters_at_once():
    d, now = _delivery(max_tries=10, age=timedelta(seconds=5)), datetime.now(tz=UTC)
    d.record_try(500, "HTTP 500", now, now + timedelta(seconds=6), meta={})
    assert d.status is DeliveryStatus.DEAD_LETTERED
    assert d.dead_letter_reason == "expired before its next try"
