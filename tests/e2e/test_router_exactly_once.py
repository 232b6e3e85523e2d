"""`signalyard router` killed with SIGKILL at random points while routed events flow: every
routed event is acted on exactly once by its workflow (the workflow's own count per event
id), and each delivery is recorded as settled."""

from __future__ import annotations

import random
import time
import uuid
from pathlib import Path

import pytest
from support.counters import wait_until
from support.router_stack import (
    CounterWorker,
    Processes,
    process_env,
    running,
    tenant,
    wait_for_router,
)

from domain.routing.delivery import delivery_id
from signalyard.embedded import EmbeddedNats
from workers.relay.mapping import event_id

pytestmark = pytest.mark.slow
KILLS = 6
BURST = 30


def test_a_router_killed_at_random_points_acts_on_every_routed_event_exactly_once(
    fresh_db_url: str, temporal_address: str, service_dir: Path
) -> None:
    chance = random.Random()
    seed = chance.randrange(1 << 30)
    chance.seed(seed)
    print(f"seed {seed}")
    world = tenant(fresh_db_url)
    workflow_id = f"teams-{uuid.uuid4().hex}"
    try:
        with (
            EmbeddedNats(service_dir / "nats") as bus,
            CounterWorker(temporal_address) as worker,
        ):
            worker.start_counter(workflow_id)
            env = process_env(
                fresh_db_url,
                bus.url,
                temporal_address,
                NATS_CREDS=str(bus.creds_path),
                SIGNALYARD_ROUTER_ACK_WAIT="2",
                SIGNALYARD_LOG_LEVEL="info",
            )
            processes = Processes(env, service_dir)
            with (
                running(processes, ("projections", "projections", "run"), ("relay", "relay")),
                running(Processes(env, service_dir)) as routers,
            ):
                routers.start("router", "router")
                wait_for_router(bus.url, str(bus.creds_path))
                route = world.routing.routes.create(
                    world.admin,
                    str(world.org.id),
                    "Count teams",
                    {
                        "event_type": "io.signalyard.team.created.v1",
                        "target_wf_id": workflow_id,
                        "signal_name": "team_created",
                        "transform": "{id: .id, name: .data.name}",
                    },
                ).result.entity
                expected: set[str] = set()
                kills = 0
                for _ in range(KILLS):
                    # A backlog, and the router killed while it works through it: then most
                    # points of a kill fall between a signal sent and its message acked.
                    seen = len(worker.handled(workflow_id))
                    expected |= _create_teams(world, BURST)
                    busy = _wait(lambda n=seen: len(worker.handled(workflow_id)) > n, 60)
                    time.sleep(chance.uniform(0.0, 0.3))
                    routers.kill("router")
                    kills += busy
                    routers.start("router", "router")
                assert kills == KILLS, routers.log("router")[-4000:]

                def all_handled() -> bool:
                    return set(worker.handled(workflow_id)) >= expected

                wait_until(all_handled, 120, "every routed event handled")
                time.sleep(3)  # anything redelivered late would land now
                handled = worker.handled(workflow_id)
                router = routers.running.pop("router")
                router.terminate()
                assert router.wait(30) == 0  # SIGTERM stops it cleanly
            assert handled == dict.fromkeys(expected, 1), f"seed {seed}"
            deliveries = world.routing.deliveries
            for event in expected:
                recorded = deliveries.find(delivery_id(route.id, event))
                assert recorded is not None and recorded.settled, event
    finally:
        world.close()


def _create_teams(world, count: int) -> set[str]:
    """The CloudEvent ids of the team creations: what the route sends to the workflow."""
    created = set()
    for _ in range(count):
        name = f"Team {uuid.uuid4().hex[:8]}"
        team = world.tenancy.hierarchy.create_team(world.admin, str(world.org.id), name)
        created.add(event_id(team.guid, 1))
    return created


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True
