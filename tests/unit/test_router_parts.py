"""The router's pure parts: reading a bus message, the per-org routes cache, the pauses."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest

from domain.routing.spec import RouteSpec
from workers.router import cloudevents
from workers.router.consumer import ConsumerSettings
from workers.router.retry import Backoff
from workers.router.route_cache import RouteCache, RoutesNotReady
from workers.router.routing import RouterPolicy

ORG = uuid.uuid4()


def _spec(version: int) -> RouteSpec:
    return RouteSpec(uuid.uuid4(), version, ORG, "io.signalyard.*", "**", "wf", "s")


class _ReadModel:
    """Stands for the routes read model: its rows and how far it has applied the log."""

    def __init__(self) -> None:
        self.rows: list[RouteSpec] = [_spec(1)]
        self.at = 10
        self.reads = 0

    async def active_routes(self, org_id: uuid.UUID) -> list[RouteSpec]:
        self.reads += 1
        return list(self.rows)

    async def position(self) -> int:
        return self.at


def test_routes_are_read_once_per_org_until_one_of_its_routes_changes() -> None:
    async def scenario() -> None:
        model = _ReadModel()
        cache = RouteCache(model, wait_seconds=0.2)
        first = await cache.routes(ORG)
        assert await cache.routes(ORG) == first and model.reads == 1
        model.rows = [_spec(2)]
        cache.changed(ORG, position=12)  # the read model is still at 10
        with pytest.raises(RoutesNotReady):
            await cache.routes(ORG)
        model.at = 12
        assert [s.version for s in await cache.routes(ORG)] == [2]
        await cache.routes(uuid.uuid4())
        assert model.reads == 3  # each org is read on its own

    asyncio.run(scenario())


def test_a_message_that_is_no_cloud_event_is_refused_by_name() -> None:
    with pytest.raises(cloudevents.NotACloudEvent, match="not JSON"):
        cloudevents.decode(b"{")
    with pytest.raises(cloudevents.NotACloudEvent, match="no string id"):
        cloudevents.decode(b'{"type": "x"}')
    event = cloudevents.decode(orjson.dumps({"id": "e", "type": "t", "orgid": str(ORG)}))
    assert cloudevents.org_of(event) == ORG
    assert cloudevents.org_of({"orgid": None}) is None


def test_the_router_reacts_to_route_changes_and_redrives_and_never_routes_its_records() -> None:
    change = {"type": "io.signalyard.event_route.version_published.v1"}
    redrive = {"type": "io.signalyard.route_delivery.redrive_requested.v1"}
    record = {"type": "io.signalyard.route_delivery.recorded.v1"}
    assert cloudevents.is_route_change(change) and not cloudevents.is_own_record(change)
    assert cloudevents.is_redrive(redrive) and cloudevents.is_own_record(redrive)
    assert cloudevents.is_own_record(record) and not cloudevents.is_redrive(record)


def test_pauses_grow_and_are_capped() -> None:
    backoff = Backoff(initial_seconds=0.1, max_seconds=1.0, jitter=0.0)
    assert [backoff.pause(n) for n in (1, 2, 3, 10)] == [0.1, 0.2, 0.4, 1.0]
    policy = RouterPolicy(redelivery_pause_seconds=2.0)
    assert [policy.pause_after(n) for n in (1, 2, 3, 20)] == [2.0, 4.0, 8.0, 60.0]
    consumer = ConsumerSettings(ack_wait_seconds=30, max_attempts=10)
    assert consumer.max_deliver > consumer.max_attempts  # the router gives up first
    assert consumer.backoff[0] == 30 and len(consumer.backoff) < consumer.max_deliver
