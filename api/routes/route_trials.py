"""Trying EventRoutes without delivering anything: `:test` on one event (given, or stored
at a position), `:replay` over a range of the organization's stored events. User programs
run in the sandbox processes, off the event loop: the API keeps answering meanwhile."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ContextDep, ServicesDep
from api.edge import EdgeRoute
from api.services import Services
from domain.core.context import CommandContext
from schemas import routing as wire

router = APIRouter(prefix="/v1", tags=["event-routes"], route_class=EdgeRoute)
ROUTES = "/orgs/{org}/event-routes"
ROUTE = ROUTES + "/{route}"


def _test(
    services: Services, ctx: CommandContext, org: str, route: str | None, body: wire.RouteTest
):
    trials = services.routing.trials
    draft = body.route.model_dump() if body.route else None
    spec = trials.spec(ctx, org, route, draft)
    event = body.event
    if event is None:
        assert spec.organization_id is not None and body.event_position is not None
        event = trials.stored_event(spec.organization_id, body.event_position)
    return trials.test(spec, event).as_dict()


def _replay(
    services: Services, ctx: CommandContext, org: str, route: str | None, body: wire.RouteReplay
):
    trials = services.routing.trials
    spec = trials.spec(ctx, org, route, body.route.model_dump() if body.route else None)
    replayed = trials.replay(spec, body.from_position, body.to_position, body.since, body.until)
    return {
        "items": [e.as_dict() for e in replayed.would_signal],
        "errors": [e.as_dict() for e in replayed.errors],
        "scanned": replayed.scanned,
        "next_position": replayed.next_position,
    }


@router.post(ROUTE + ":test", response_model=wire.Evaluation)
def test_event_route(
    org: str, route: str, body: wire.RouteTest, ctx: ContextDep, services: ServicesDep
):
    """Run the route (or the draft in `route`) on one event: match, filter result, transform
    output and target, or the error naming its field. Delivers nothing."""
    return _test(services, ctx, org, route, body)


@router.post(ROUTES + ":test", response_model=wire.Evaluation)
def test_draft_route(org: str, body: wire.RouteTest, ctx: ContextDep, services: ServicesDep):
    """Run a draft route (`route`, required) on one event. Delivers nothing."""
    return _test(services, ctx, org, None, body)


@router.post(ROUTE + ":replay", response_model=wire.Replayed)
def replay_event_route(
    org: str, route: str, body: wire.RouteReplay, ctx: ContextDep, services: ServicesDep
):
    """What the route would have signalled for the organization's stored events of a
    position (and time) range; one bounded page, `next_position` continues."""
    return _replay(services, ctx, org, route, body)


@router.post(ROUTES + ":replay", response_model=wire.Replayed)
def replay_draft_route(org: str, body: wire.RouteReplay, ctx: ContextDep, services: ServicesDep):
    """What a draft route (`route`, required) would have signalled; as the route's replay."""
    return _replay(services, ctx, org, None, body)
