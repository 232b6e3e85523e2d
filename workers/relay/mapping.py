"""A stored event as the message the relay publishes: subject, CloudEvent id and body.

The CloudEvent id is derived from the event's identity in the store (its entity's id and
version), so reading the same event again, in any process, gives the same id.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
from eventsourcing.persistence import Notification

from domain.core.publication import public_payload
from schemas.cloudevents import event_source, event_type, snake_case
from workers.adapters.bus import subject_for

EVENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.dev/events")
_NAMESPACE_BYTES = EVENT_NAMESPACE.bytes
_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def event_id(originator_id: UUID | str, version: int) -> str:
    """uuid5(EVENT_NAMESPACE, "<originator id>/<version>"), spelled out: the relay makes one
    per event and the uuid module's round trips through UUID objects cost several µs."""
    name = f"{originator_id}/{version}".encode()
    b = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x50  # version 5
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True)
class Outbound:
    position: int
    subject: str
    msg_id: str
    body: bytes


def verb_of(event: object) -> str:
    """From the event class, `VersionPublished` -> `version_published`."""
    return snake_case(type(event).__qualname__.rsplit(".", 1)[-1])


def entity_of_topic(aggregate_topic: str) -> str:
    """`domain.catalog.skill:Skill` -> `skill`."""
    return snake_case(aggregate_topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1])


class EntityNames:
    """The aggregate (entity) name of an event's originator. An event class may be one a
    base aggregate defines (`CoreAggregate.Deleted`), so the name comes from the entity's
    first event (its `originator_topic`), remembered for the most recent entities."""

    def __init__(self, first_event: Callable[[Any], Any | None], size: int = 100_000) -> None:
        self._first_event = first_event
        self._names: OrderedDict[Any, str] = OrderedDict()
        self._size = size

    def of(self, event: Any) -> str:
        key = event.originator_id
        name = self._names.get(key)
        if name is None:
            first = event if hasattr(event, "originator_topic") else self._first_event(key)
            topic = getattr(first, "originator_topic", None)
            name = entity_of_topic(topic) if topic else snake_case(type(event).__qualname__)
            self._names[key] = name
            if len(self._names) > self._size:
                self._names.popitem(last=False)
        else:
            self._names.move_to_end(key)
        return name


def org_of(event: Any, entity: str) -> str | None:
    meta = getattr(event, "meta", None) or {}
    org = meta.get("tenant_id") or getattr(event, "organization_id", None)
    if org is None and entity == "organization":
        org = event.originator_id
    return str(org) if org else None


def cloud_event(notification: Notification, event: Any, entity: str) -> dict[str, Any] | None:
    """The CloudEvent (a dict in `schemas.cloudevents.CloudEvent`'s shape), or None for an
    event its class keeps off the bus."""
    data = public_payload(event)
    if data is None:
        return None
    verb = verb_of(event)
    org = org_of(event, entity)
    guid = str(event.originator_id)
    meta = getattr(event, "meta", None) or {}
    return {
        "specversion": "1.0",
        "id": event_id(guid, event.originator_version),
        "source": event_source(org, entity, guid),
        "type": event_type(entity, verb),
        "subject": guid,
        "time": event.timestamp.isoformat(),
        "datacontenttype": "application/json",
        "position": notification.id,
        "actor": meta.get("actor"),
        "correlationid": meta.get("correlation_id"),
        "causationid": meta.get("causation_id"),
        "orgid": org,
        "entityversion": event.originator_version,
        "data": data,
    }


def outbound(notification: Notification, event: Any, entity: str, prefix: str) -> Outbound | None:
    envelope = cloud_event(notification, event, entity)
    if envelope is None:
        return None
    verb = verb_of(event)
    return Outbound(
        position=notification.id,
        subject=subject_for(prefix, envelope["orgid"], entity, verb),
        msg_id=envelope["id"],
        body=orjson.dumps(envelope, default=_fallback, option=_JSON_OPTIONS),
    )


def _fallback(value: object) -> object:
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)
