"""Use cases of deliveries: the router records each outcome (a dead letter is one of
them); a user re-drives a dead letter (the router, seeing `RedriveRequested` on the
bus, delivers it again and records the new outcome)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from domain.catalog.scope import CatalogScope
from domain.core.context import CommandContext, CommandResult
from domain.core.errors import NotFound
from domain.core.slugs import looks_like_uuid
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import with_read_sessions
from domain.routing.delivery import RouteDelivery, delivery_id, validate_outcome
from domain.tenancy.roles import Action


@dataclass(frozen=True)
class DeliveryReport:
    """What the router knows of one attempt at one routed event."""

    organization_id: UUID
    route_id: UUID
    route_version: int
    event_id: str
    target: str | None
    outcome: str
    reason: str | None = None
    attempt: int = 1
    event_type: str | None = None
    event_position: int | None = None

    def __post_init__(self) -> None:
        # Ids may come from a CloudEvent (text): the aggregate keeps UUIDs.
        for name in ("organization_id", "route_id"):
            object.__setattr__(self, name, UUID(str(getattr(self, name))))


@with_read_sessions
class DeliveryService:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.scope = CatalogScope(store)

    def record_delivery(self, ctx: CommandContext, report: DeliveryReport) -> CommandResult:
        """Idempotent: the same attempt's outcome recorded twice, or anything after a
        delivery succeeded, records nothing (position 0)."""
        reason = validate_outcome(report.outcome, report.reason)
        meta = ctx.meta(report.organization_id)
        found = self.store.find(delivery_id(report.route_id, report.event_id), RouteDelivery)
        if found is None:
            delivery = RouteDelivery(
                organization_id=report.organization_id,
                route_id=report.route_id,
                route_version=report.route_version,
                event_id=report.event_id,
                event_type=report.event_type,
                event_position=report.event_position,
                target=report.target,
                outcome=report.outcome,
                reason=reason,
                attempt=report.attempt,
                recorded_at=datetime.now(tz=UTC),
                meta=meta,
            )
            return CommandResult.of(delivery, self.store.record(delivery))
        if found.settled or found.same_as(report.route_version, report.outcome, report.attempt):
            return CommandResult.of(found, 0)
        found.record(
            report.route_version, report.target, report.outcome, reason, report.attempt, meta
        )
        return CommandResult.of(found, self.store.record(found))

    def dead_letter(self, ctx: CommandContext, report: DeliveryReport) -> CommandResult:
        """A delivery that keeps failing: given up on, with its reason, until re-driven."""
        return self.record_delivery(
            ctx,
            DeliveryReport(**{**report.__dict__, "outcome": "dead_lettered"}),
        )

    def redrive(self, ctx: CommandContext, org_ref: str, ref: str) -> CommandResult:
        org = self.scope.org(ctx, Action.ROUTE_RUN, org_ref)
        guid = looks_like_uuid(ref)
        delivery = self.store.find(guid, RouteDelivery) if guid else None
        # Compared as text: the stored event may give the id back as a string.
        if delivery is None or str(delivery.organization_id) != str(org.id):
            raise NotFound(f"dead letter {ref!r} not found")
        delivery.request_redrive(ctx.meta(org.id))
        return CommandResult.of(delivery, self.store.record(delivery))

    def find(self, delivery_id_: UUID) -> RouteDelivery | None:
        return self.store.find(delivery_id_, RouteDelivery)
