"""Trying a route before trusting it: `:test` on one event, `:replay` over a range of the
organization's stored events. Nothing is delivered; only the caller's organization's
events are ever read (another tenant's position is not found)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.core.context import CommandContext
from domain.core.errors import InvalidInput, NotFound
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.routing.cloudevent import entity_name
from domain.routing.definition import validate_definition
from domain.routing.event_route import EventRoute, spec_of
from domain.routing.ports import RouteEvaluator
from domain.routing.route_service import RouteService
from domain.routing.spec import Evaluation, RouteSpec
from domain.tenancy.roles import Action

# (domain event, log position, the entity's name) -> CloudEvent dict
# None: the event's class keeps it off the bus (plumbing), so no route ever sees it.
ToCloudEvent = Callable[[Any, int, str | None], dict[str, Any] | None]


@dataclass(frozen=True)
class Replay:
    would_signal: list[Evaluation]
    errors: list[Evaluation]
    scanned: int
    next_position: int | None


@with_read_sessions
class RouteTrials:
    def __init__(
        self,
        routes: RouteService,
        evaluator: RouteEvaluator,
        to_cloudevent: ToCloudEvent,
        max_events: int,
    ) -> None:
        self.routes = routes
        self.store = routes.store
        self.evaluator = evaluator
        self.to_cloudevent = to_cloudevent
        self.max_events = max_events
        self._entities: dict[UUID, str] = {}

    @reads_only
    def spec(
        self, ctx: CommandContext, org_ref: str, ref: str | None, draft: dict[str, Any] | None
    ) -> RouteSpec:
        """The stored route at its current version, or a draft (checked like a create)."""
        if ref is not None:
            route: EventRoute = self.routes.find(ctx, Action.ROUTE_RUN, org_ref, ref)
            if draft is None:
                return route.spec()
            org_id = route.organization_id
        else:
            org_id = self.routes.scope.org(ctx, Action.ROUTE_RUN, org_ref).id
        if draft is None:
            raise InvalidInput("a draft route is required", field="route")
        definition = self.routes.compiles(validate_definition(draft))
        return spec_of(None, 0, org_id, definition)

    @reads_only
    def stored_event(self, org_id: UUID, position: int) -> dict[str, Any]:
        found = self.store.recorder.select_notifications(position, 1)
        event = self._of_org(found[0], org_id) if found and found[0].id == position else None
        envelope = None
        if event is not None:
            envelope = self.to_cloudevent(event, position, self._entity(event.originator_id))
        if envelope is None:
            raise NotFound(f"no event of this organization on the bus at position {position}")
        return envelope

    def test(self, spec: RouteSpec, event: dict[str, Any]) -> Evaluation:
        return self.evaluator.evaluate(spec, event)

    @reads_only
    def replay(
        self,
        spec: RouteSpec,
        from_position: int,
        to_position: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Replay:
        """One page: at most `max_events` positions of the log are read from
        `from_position`; `next_position` continues."""
        assert spec.organization_id is not None
        page = self.store.recorder.select_notifications(
            from_position, self.max_events, stop=to_position
        )
        events = []
        for notification in page:
            event = self._of_org(notification, spec.organization_id)
            if event is None or not _within(event.timestamp, since, until):
                continue
            entity = self._entity(event.originator_id)
            envelope = self.to_cloudevent(event, notification.id, entity)
            if envelope is not None:
                events.append(envelope)
        results = self.evaluator.evaluate_many(spec, events)
        more = len(page) == self.max_events and (to_position is None or page[-1].id < to_position)
        return Replay(
            would_signal=[r for r in results if r.would_signal],
            errors=[r for r in results if r.matched and r.error is not None],
            scanned=len(events),
            next_position=page[-1].id + 1 if more else None,
        )

    def _entity(self, originator_id: UUID) -> str | None:
        """The aggregate's name, from the topic of its first event (its Created)."""
        if originator_id not in self._entities:
            first = self.store.recorder.select_events(originator_id, limit=1)
            if not first:
                return None
            if len(self._entities) > 10_000:
                self._entities.clear()
            self._entities[originator_id] = entity_name(first[0].topic)
        return self._entities[originator_id]

    def _of_org(self, notification: Any, org_id: UUID) -> Any:
        """The decoded event if it belongs to the organization (tenant in its meta)."""
        try:
            event = self.store.mapper.to_domain_event(notification)
        except Exception:  # noqa: BLE001 - an undecodable event is nobody's to replay
            return None
        meta = getattr(event, "meta", None) or {}
        return event if meta.get("tenant_id") == str(org_id) else None


def _within(at: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or at >= since) and (until is None or at < until)
