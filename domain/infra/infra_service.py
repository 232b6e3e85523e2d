"""InfraService: a piece of infrastructure (Postgres, NATS, Temporal, Vault, Kubernetes, an
HTTP endpoint) whose health the checker probes. Only changes of health are events; the
probe counters live outside the log. Events carry the URL masked and sealed, never clear."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from domain.core.aggregate import CoreAggregate
from domain.core.context import Meta
from domain.core.errors import InvalidInput
from domain.core.publication import declare_publication

MIN_INTERVAL, MAX_INTERVAL = 5, 86_400
MIN_TIMEOUT, MAX_TIMEOUT = 0.1, 60.0


def validate_interval(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            "check_interval_seconds must be an integer", field="check_interval_seconds"
        )
    if not MIN_INTERVAL <= value <= MAX_INTERVAL:
        raise InvalidInput(
            f"check_interval_seconds must be {MIN_INTERVAL}-{MAX_INTERVAL}",
            field="check_interval_seconds",
        )
    return value


def validate_timeout(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput("timeout_seconds must be a number", field="timeout_seconds")
    if not MIN_TIMEOUT <= value <= MAX_TIMEOUT:
        raise InvalidInput(
            f"timeout_seconds must be {MIN_TIMEOUT}-{MAX_TIMEOUT}", field="timeout_seconds"
        )
    return float(value)


class InfraService(CoreAggregate):
    UPDATABLE = frozenset(
        {
            "name",
            "description",
            "slug",
            "connection_url",
            "sealed_url",
            "check_interval_seconds",
            "timeout_seconds",
        }
    )

    @event("Created")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - chosen first: the sealed URL is bound to it
        organization_id: UUID,
        name: str,
        slug: str,
        description: str,
        service_type: str,
        connection_url: str,  # masked
        sealed_url: str,
        check_interval_seconds: int,
        timeout_seconds: float,
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, description, meta)
        self.organization_id = organization_id
        self.service_type = service_type
        self.connection_url = connection_url
        self.sealed_url = sealed_url
        self.check_interval_seconds = check_interval_seconds
        self.timeout_seconds = timeout_seconds
        self.is_healthy: bool | None = None  # unknown until the first probe
        self.consecutive_fails = 0
        self.health_reason = ""

    def change_health(
        self, healthy: bool, consecutive_fails: int, reason: str, at: datetime, meta: Meta
    ) -> bool:
        """Record a change of health; False (and no event) when it is not one."""
        if self.is_healthy is healthy:
            return False
        self._health_changed(
            is_healthy=healthy,
            consecutive_fails=consecutive_fails,
            reason=reason[:500],
            at=at,
            meta=meta,
        )
        return True

    @event("HealthChanged")
    def _health_changed(
        self, is_healthy: bool, consecutive_fails: int, reason: str, at: datetime, meta: Meta
    ) -> None:
        self.is_healthy = is_healthy
        self.consecutive_fails = consecutive_fails
        self.health_reason = reason


def sealing_context(organization_id: UUID, service_id: UUID) -> str:
    return f"infra-service/{organization_id}/{service_id}"


# The connection URL is published masked only; its sealed copy never leaves the store.
declare_publication(InfraService.Event, withheld={"sealed_url"})
