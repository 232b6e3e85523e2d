"""RouteDelivery: what became of one event on one route, attempt after attempt.

Its id is derived from (route id, event id), so a redelivered event (the router
restarted, the bus delivered twice) lands on the same delivery and never records two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import AuditedAggregate
from domain.core.context import Meta
from domain.core.errors import Conflict, InvalidInput

Outcome = Literal["delivered", "duplicate", "failed", "dead_lettered"]
OUTCOMES: tuple[str, ...] = ("delivered", "duplicate", "failed", "dead_lettered")
_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.io/route-deliveries")
MAX_REASON = 2000


def delivery_id(route_id: UUID, event_id: str) -> UUID:
    return uuid5(_NAMESPACE, f"{route_id}/{event_id}")


def validate_outcome(outcome: str, reason: str | None) -> str | None:
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}", field="outcome")
    if outcome in ("failed", "dead_lettered") and not reason:
        raise InvalidInput("a failed delivery needs a reason", field="reason")
    return reason[:MAX_REASON] if reason else None


class RouteDelivery(AuditedAggregate):
    snapshot_interval = 50

    @staticmethod
    def create_id(route_id: UUID, event_id: str) -> UUID:
        return delivery_id(route_id, event_id)

    @event("Recorded")
    def __init__(
        self,
        organization_id: UUID,
        route_id: UUID,
        route_version: int,
        event_id: str,
        event_type: str | None,
        event_position: int | None,
        target: str | None,
        outcome: str,
        reason: str | None,
        attempt: int,
        recorded_at: datetime,
        meta: Meta,
    ) -> None:
        self.organization_id = organization_id
        self.route_id = route_id
        self.event_id = event_id
        self.event_type = event_type
        self.event_position = event_position
        self._apply(route_version, target, outcome, reason, attempt)
        self.redrive_requested = False

    def _apply(
        self, route_version: int, target: str | None, outcome: str, reason: str | None, attempt: int
    ) -> None:
        self.route_version = route_version
        self.target = target
        self.outcome = outcome
        self.reason = reason
        self.attempt = attempt

    @property
    def settled(self) -> bool:
        """Delivered (or found delivered): nothing further can happen to it."""
        return self.outcome in ("delivered", "duplicate")

    def same_as(self, route_version: int, outcome: str, attempt: int) -> bool:
        return (self.route_version, self.outcome, self.attempt) == (route_version, outcome, attempt)

    def record(
        self,
        route_version: int,
        target: str | None,
        outcome: str,
        reason: str | None,
        attempt: int,
        meta: Meta,
    ) -> None:
        self._outcome_recorded(
            route_version=route_version,
            target=target,
            outcome=outcome,
            reason=reason,
            attempt=attempt,
            recorded_at=datetime.now(tz=UTC),
            meta=meta,
        )

    @event("OutcomeRecorded")
    def _outcome_recorded(
        self,
        route_version: int,
        target: str | None,
        outcome: str,
        reason: str | None,
        attempt: int,
        recorded_at: datetime,
        meta: Meta,
    ) -> None:
        self._apply(route_version, target, outcome, reason, attempt)
        self.redrive_requested = False

    def request_redrive(self, meta: Meta) -> None:
        if self.outcome != "dead_lettered":
            raise Conflict("only a dead letter can be re-driven", field="delivery")
        if self.redrive_requested:
            raise Conflict("a re-drive is already requested", field="delivery")
        self._redrive_requested(requested_at=datetime.now(tz=UTC), meta=meta)

    @event("RedriveRequested")
    def _redrive_requested(self, requested_at: datetime, meta: Meta) -> None:
        self.redrive_requested = True
