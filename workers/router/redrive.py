"""A re-drive asked for through the API (`RouteDelivery.RedriveRequested`, seen on the bus):
the dead letter's event is read back from the event store at its position, as the relay
published it, and routed again along that route's current version."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from workers.router.routing import DONE, KeepAlive, Router, Verdict


class EventSource(Protocol):
    async def event_at(self, position: int) -> dict[str, Any] | None:
        """The CloudEvent of the event at that log position (None: not there, or off the bus)."""
        ...


async def redrive(
    router: Router,
    events: EventSource,
    request: dict[str, Any],
    attempt: int,
    keep_alive: KeepAlive,
) -> Verdict:
    try:
        delivery = await router.find(UUID(str(request.get("subject"))))
    except ValueError:
        return DONE
    if delivery is None or not delivery.redrive_requested:
        return DONE  # already re-driven (this message came back) or never asked
    specs = await router.routes.routes(delivery.organization_id)
    spec = next((s for s in specs if s.route_id == delivery.route_id), None)
    original = await events.event_at(delivery.event_position) if delivery.event_position else None
    if spec is None or original is None or original.get("id") != delivery.event_id:
        why = "the route is disabled or deleted" if spec is None else "the event is not in the log"
        await router.give_up(delivery, why)
        return DONE
    return await router.route(spec, original, attempt, keep_alive, redrive_of=delivery)
