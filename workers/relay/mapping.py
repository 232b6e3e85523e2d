"""A stored event as the message the relay publishes: subject, CloudEvent id and body.

The CloudEvent id is derived from the event's identity in the store (its entity's id and
version), so reading the same event again, in any process, gives the same id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
from eventsourcing.persistence import Notification

from domain.core.publication import public_payload
from schemas.cloudevents import event_source, event_type, snake_case
from workers.adapters.bus import subject_for

EVENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.dev/events")
_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def event_id(originator_id: UUID | str, version: int) -> str:
    return str(uuid5(EVENT_NAMESPACE, f"{originator_id}/{version}"))


@dataclass(frozen=True)
class Outbound:
    position: int
    subject: str
    msg_id: str
    body: bytes


def entity_and_verb(event: object) -> tuple[str, str]:
    """From the class's qualified name, `Skill.VersionPublished` -> (skill, version_published)."""
    *outer, verb = type(event).__qualname__.split(".")
    return snake_case(outer[-1] if outer else verb), snake_case(verb)


def org_of(event: Any, entity: str) -> str | None:
    meta = getattr(event, "meta", None) or {}
    org = meta.get("tenant_id") or getattr(event, "organization_id", None)
    if org is None and entity == "organization":
        org = event.originator_id
    return str(org) if org else None


def cloud_event(notification: Notification, event: Any) -> dict[str, Any] | None:
    """The CloudEvent (a dict in `schemas.cloudevents.CloudEvent`'s shape), or None for an
    event its class keeps off the bus."""
    data = public_payload(event)
    if data is None:
        return None
    entity, verb = entity_and_verb(event)
    org = org_of(event, entity)
    guid = str(event.originator_id)
    meta = getattr(event, "meta", None) or {}
    return {
        "specversion": "1.0",
        "id": event_id(event.originator_id, event.originator_version),
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


def outbound(notification: Notification, event: Any, prefix: str) -> Outbound | None:
    envelope = cloud_event(notification, event)
    if envelope is None:
        return None
    entity, verb = entity_and_verb(event)
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
