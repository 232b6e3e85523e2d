"""What the router does with a delivery that cannot land, on the real Temporal dev server,
sandbox and delivery use cases: a missing workflow is tried again and then dead-lettered, a
closed one at once, and a re-drive asked for through the use case delivers it (once)."""

from __future__ import annotations

import asyncio
import uuid

from support.router_stack import tenant
from support.temporal_worker import counting_worker, finish_and_count, start_counter

from domain.plumbing.store import EventStore
from domain.routing.delivery import delivery_id
from domain.routing.event_route import EventRoute
from domain.routing.spec import RouteSpec
from projections.engine.log import EventLog
from workers.adapters.temporal_client import TemporalConfig, connect
from workers.router.redrive import redrive
from workers.router.route_cache import RouteCache
from workers.router.routing import DONE, Router, RouterPolicy
from workers.router.sources import LogEvents


class _StoredRoutes:
    """Stands for the routes read model: the route aggregates themselves, always current."""

    def __init__(self, store: EventStore, route_ids: list[uuid.UUID]) -> None:
        self.store, self.route_ids = store, route_ids

    async def active_routes(self, org_id: uuid.UUID) -> list[RouteSpec]:
        return [self.store.load(r, EventRoute).spec() for r in self.route_ids]

    async def position(self) -> int:
        return 1 << 62


async def _written(events: LogEvents, result, kind: str) -> dict:
    """The CloudEvent of the command's event (a write ends with it, after its slug claim)."""
    for position in range(result.position, 0, -1):
        event = await events.event_at(position)
        if event is not None and event["subject"] == str(result.guid):
            assert event["type"] == kind
            return event
    raise AssertionError(f"no {kind} for {result.guid}")


async def _still_working() -> None:
    return None


def test_missing_then_closed_workflows_are_dead_lettered_and_a_redrive_delivers(
    fresh_db_url: str, temporal_address: str
) -> None:
    world = tenant(fresh_db_url)
    store, tenancy, routing, admin = world.store, world.tenancy, world.routing, world.admin
    org = str(world.org.id)
    sandbox = routing.evaluator
    workflow_id = f"later-{uuid.uuid4().hex}"
    route = routing.routes.create(
        admin,
        org,
        "Teams",
        {
            "event_type": "io.signalyard.team.created.v1",
            "target_wf_id": workflow_id,
            "signal_name": "team_created",
            "transform": "{id: .id}",
        },
    ).result.entity
    events = LogEvents(EventLog(store))

    async def routed(name: str) -> dict:
        team = tenancy.hierarchy.create_team(admin, org, name)
        return await _written(events, team, "io.signalyard.team.created.v1")

    async def scenario() -> None:
        client = await connect(TemporalConfig(temporal_address), name="router-test")
        router = Router(
            client,
            sandbox,
            RouteCache(_StoredRoutes(store, [route.id])),
            routing.deliveries,
            RouterPolicy(max_attempts=2, retry_window_seconds=0),
        )
        first = await routed("Early")
        again = await router.handle(first, 1, _still_working)
        assert again.retry_in is not None  # the workflow may yet be started
        letter_id = delivery_id(route.id, first["id"])
        assert routing.deliveries.find(letter_id).outcome == "failed"
        assert await router.handle(first, 2, _still_working) is DONE
        letter = routing.deliveries.find(letter_id)
        assert letter.outcome == "dead_lettered" and "no_such_workflow" in letter.reason

        async with counting_worker(client, queue := f"dl-{uuid.uuid4().hex[:8]}"):
            handle = await start_counter(client, queue, workflow_id)
            asked = routing.deliveries.redrive(admin, org, str(letter_id))
            kind = "io.signalyard.route_delivery.redrive_requested.v1"
            request = await _written(events, asked, kind)
            assert await redrive(router, events, request, 1, _still_working) is DONE
            redriven = routing.deliveries.find(letter_id)
            assert (redriven.outcome, redriven.attempt) == ("delivered", 3)
            # The re-drive request seen again (its message came back): nothing more happens.
            assert await redrive(router, events, request, 2, _still_working) is DONE
            assert await finish_and_count(handle) == {first["id"]: 1}

        late = await routed("Late")
        assert await router.handle(late, 1, _still_working) is DONE  # no point trying again
        closed = routing.deliveries.find(delivery_id(route.id, late["id"]))
        assert closed.outcome == "dead_lettered" and "workflow_closed" in closed.reason
        assert closed.attempt == 1 and closed.event_position == late["position"]

    try:
        asyncio.run(scenario())
    finally:
        world.close()
