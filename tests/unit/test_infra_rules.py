"""Infra services: connection URLs checked per service type and masked; health changes
recorded only when they are changes."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.core.errors import InvalidInput
from domain.infra.connection_url import masked, validate_connection_url
from domain.infra.infra_service import InfraService


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://app:pw@db:5432/x", "postgres://app:***@db:5432/x"),
        ("postgres://app@db/x", "postgres://app@db/x"),
        (
            "postgres://db/x?user=a&password=pw&sslmode=require",
            "postgres://db/x?user=a&password=***&sslmode=require",
        ),
        ("nats://tok:en@nats:4222", "nats://tok:***@nats:4222"),
        ("https://vault:8200/?token=s.abc", "https://vault:8200/?token=***"),
        ("https://k8s.example.com:6443", "https://k8s.example.com:6443"),
        ("postgres://a:p%40ss@db/x", "postgres://a:***@db/x"),
    ],
)
def test_credentials_are_masked(url, shown):
    assert masked(url) == shown


@pytest.mark.parametrize(
    ("service_type", "url"),
    [
        ("postgres", "mysql://db/x"),
        ("nats", "http://nats:4222"),
        ("temporal", "temporal://"),
        ("vault", "vault://x"),
        ("http", "https://x:0x/"),
        ("http", "https://ex ample.com/"),
    ],
)
def test_urls_that_do_not_fit_the_service_type_are_refused(service_type, url):
    with pytest.raises(InvalidInput) as refused:
        validate_connection_url(url, service_type)
    assert refused.value.field == "connection_url"


def test_only_changes_of_health_are_events():
    service = InfraService(
        id=uuid4(),
        organization_id=uuid4(),
        name="db",
        slug="db",
        description="",
        service_type="postgres",
        connection_url="postgres://db/x",
        sealed_url="sybox:v1:x",
        check_interval_seconds=30,
        timeout_seconds=5.0,
        meta={},
    )
    now = datetime.now(tz=UTC)
    assert service.is_healthy is None
    assert service.change_health(True, 0, "ok", now, meta={})
    assert not service.change_health(True, 0, "ok", now, meta={})
    assert service.change_health(False, 3, "down", now, meta={})
    assert not service.change_health(False, 4, "down", now, meta={})
    assert [type(e).__name__ for e in service.collect_events()] == [
        "Created",
        "HealthChanged",
        "HealthChanged",
    ]
