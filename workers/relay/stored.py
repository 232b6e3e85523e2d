"""The relay's message for a stored event, built straight from its stored JSON state.

Making the domain event (the library's JSON transcoder, then the object) was half of the
relay's time. Here the state is read with orjson and only its tagged values (`{"_type_":
"uuid_hex", "_data_": ...}`) are revived, with the application's own transcodings, so the
CloudEvent is byte for byte the one `mapping.outbound` makes from the decoded event
(`tests/integration/test_relay_cloudevents.py` compares both for every event of a mixed
log). An event this path cannot vouch for (a class that upcasts, a field or `meta` its
state lacks, state orjson cannot read, an unknown tag) goes the decoded way instead.
"""

from __future__ import annotations

from dataclasses import dataclass, is_dataclass
from typing import Any

import orjson
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from domain.core.publication import public_state
from schemas.cloudevents import event_source, event_type, snake_case
from workers.adapters.bus import subject_for
from workers.relay.mapping import (
    JSON_OPTIONS,
    UNKNOWN,
    EntityNames,
    Outbound,
    event_id,
    json_fallback,
)

Transcodings = dict[str, Any]  # tag -> the library's Transcoding


class CannotVouch(Exception):
    """This event goes the decoded way."""


@dataclass(frozen=True)
class _Kind:
    """What the relay needs of an event class, found once per topic."""

    cls: type
    verb: str
    has_org_default: bool  # `organization_id` missing from a state would take this default


class StoredEventMapper:
    def __init__(self, transcodings: Transcodings, entities: EntityNames, prefix: str) -> None:
        self._transcodings = transcodings
        self._entities = entities
        self._prefix = prefix
        self._kinds: dict[str, _Kind | None] = {}
        uuid_hex = transcodings.get("uuid_hex")
        # The library's UUIDAsHex stores `uuid.hex`: dashes put back give str(UUID(hex)).
        self._fast_uuid = type(uuid_hex).__name__ == "UUIDAsHex"

    def outbound(self, notification: Notification) -> Outbound | None:
        """The message, None for an event kept off the bus; CannotVouch otherwise."""
        kind = self._kind(notification.topic)
        try:
            state = orjson.loads(notification.state)
        except orjson.JSONDecodeError as exc:
            raise CannotVouch from exc
        if type(state) is not dict or "class_version" in state:
            raise CannotVouch
        if "meta" not in state or "timestamp" not in state:
            raise CannotVouch
        revive = self._revive
        try:
            data = public_state(kind.cls, state, revive)
        except KeyError as exc:
            raise CannotVouch from exc
        if data is None:
            return None
        guid = str(notification.originator_id)
        entity = self._entities.named(
            notification.originator_id, kind.cls, revive(state.get("originator_topic", UNKNOWN))
        )
        meta = revive(state["meta"]) or {}
        org = meta.get("tenant_id") or self._organization(kind, state)
        if org is None and entity == "organization":
            org = guid
        org = str(org) if org else None
        version = notification.originator_version
        msg_id = event_id(guid, version)
        envelope = {
            "specversion": "1.0",
            "id": msg_id,
            "source": event_source(org, entity, guid),
            "type": event_type(entity, kind.verb),
            "subject": guid,
            "time": revive(state["timestamp"]).isoformat(),
            "datacontenttype": "application/json",
            "position": notification.id,
            "actor": meta.get("actor"),
            "correlationid": meta.get("correlation_id"),
            "causationid": meta.get("causation_id"),
            "orgid": org,
            "entityversion": version,
            "data": data,
        }
        return Outbound(
            position=notification.id,
            subject=subject_for(self._prefix, org, entity, kind.verb),
            msg_id=msg_id,
            body=orjson.dumps(envelope, default=json_fallback, option=JSON_OPTIONS),
        )

    def _kind(self, topic: str) -> _Kind:
        if topic not in self._kinds:
            self._kinds[topic] = _kind_of(topic)
        kind = self._kinds[topic]
        if kind is None:
            raise CannotVouch
        return kind

    def _organization(self, kind: _Kind, state: dict[str, Any]) -> Any:
        if "organization_id" in state:
            return self._revive(state["organization_id"])
        if kind.has_org_default:
            raise CannotVouch
        return None

    def _revive(self, value: Any) -> Any:
        """What the library's decoder makes of a JSON value: tagged dicts, innermost first,
        become their objects (a UUID becomes its string, which orjson writes the same)."""
        kind = type(value)
        if kind is dict:
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                return self._tagged(value["_type_"], self._revive(value["_data_"]))
            return {key: self._revive(item) for key, item in value.items()}
        if kind is list:
            return [self._revive(item) for item in value]
        return value

    def _tagged(self, tag: str, data: Any) -> Any:
        if tag == "uuid_hex" and self._fast_uuid and type(data) is str and len(data) == 32:
            return f"{data[:8]}-{data[8:12]}-{data[12:16]}-{data[16:20]}-{data[20:]}"
        transcoding = self._transcodings.get(tag)
        if transcoding is None:
            raise CannotVouch
        try:
            return transcoding.decode(data)
        except Exception as exc:  # noqa: BLE001 - the decoded way reports it
            raise CannotVouch from exc


def _kind_of(topic: str) -> _Kind | None:
    try:
        cls = resolve_topic(topic)
    except Exception:  # noqa: BLE001 - the decoded way reports it
        return None
    if not is_dataclass(cls) or getattr(cls, "class_version", 1) != 1:
        return None
    verb = snake_case(cls.__qualname__.rsplit(".", 1)[-1])
    return _Kind(cls, verb, hasattr(cls, "organization_id"))
