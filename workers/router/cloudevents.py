"""What the router reads off a bus message: the CloudEvent, its org, and whether it is one
of the events the router itself reacts to (a route changed, a re-drive was asked for)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson

ROUTE_CHANGE_PREFIX = "io.signalyard.event_route."
DELIVERY_PREFIX = "io.signalyard.route_delivery."
REDRIVE_TYPE = DELIVERY_PREFIX + "redrive_requested.v1"


class NotACloudEvent(ValueError):
    pass


def decode(body: bytes) -> dict[str, Any]:
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise NotACloudEvent(f"not JSON: {exc}") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise NotACloudEvent("not a CloudEvent: no string id")
    if not isinstance(event.get("type"), str):
        raise NotACloudEvent("not a CloudEvent: no string type")
    return event


def org_of(event: dict[str, Any]) -> UUID | None:
    try:
        return UUID(str(event.get("orgid")))
    except ValueError:
        return None  # an event of no org (users, tokens) takes no route


def position_of(event: dict[str, Any]) -> int | None:
    position = event.get("position")
    return position if isinstance(position, int) else None


def is_route_change(event: dict[str, Any]) -> bool:
    return str(event["type"]).startswith(ROUTE_CHANGE_PREFIX)


def is_redrive(event: dict[str, Any]) -> bool:
    return event["type"] == REDRIVE_TYPE


def is_own_record(event: dict[str, Any]) -> bool:
    """The router's own delivery records: never routed, or a route taking `**` would feed
    on its own deliveries without end."""
    return str(event["type"]).startswith(DELIVERY_PREFIX)
