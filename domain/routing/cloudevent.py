"""A stored domain event as the CloudEvent (1.0, structured JSON) the bus carries.

A stand-in (for in-memory tests) for the relay's own mapping, behind one function
(`to_cloudevent`); the composition root hands the relay's in; the shape follows the bus contract:
type `io.signalyard.<entity>.<verb>.v1`, source `/orgs/{org}/<entity>s/{guid}`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import UUID

from domain.core.publication import public_payload

_HIDDEN = {"originator_id", "originator_version", "timestamp", "meta", "originator_topic"}
_WORD = re.compile(r"[^a-z0-9]")


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, (UUID, date)):
        return value.isoformat() if isinstance(value, date) else str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def entity_name(created_topic: str) -> str:
    """`domain.catalog.config:Config.Created` -> `config`."""
    qualname = created_topic.rpartition(":")[2]
    return _WORD.sub("", qualname.rpartition(".")[0].lower())


def to_cloudevent(event: Any, position: int, entity: str | None = None) -> dict[str, Any] | None:
    """`entity`: the aggregate's name, where the event's class is a base class's (Updated
    and Deleted are defined on CoreAggregate and name no entity)."""
    entity_class, _, verb = type(event).__qualname__.rpartition(".")
    entity = entity or _WORD.sub("", entity_class.lower())
    meta = getattr(event, "meta", None) or {}
    org = meta.get("tenant_id")
    guid = str(event.originator_id)
    source = f"/orgs/{org}/{entity}s/{guid}" if org else f"/{entity}s/{guid}"
    public = public_payload(event)  # the bus's rule: secret-looking fields withheld
    if public is None:
        return None
    data = {k: _plain(v) for k, v in public.items() if k not in _HIDDEN}
    return {
        "specversion": "1.0",
        "id": str(getattr(event, "id", None) or f"{guid}:{event.originator_version}"),
        "source": source,
        "type": f"io.signalyard.{entity}.{_WORD.sub('', verb.lower())}.v1",
        "subject": guid,
        "time": event.timestamp.isoformat(),
        "datacontenttype": "application/json",
        "data": data,
        "position": position,
        "actor": meta.get("actor"),
        "correlationid": meta.get("correlation_id"),
        "causationid": meta.get("causation_id"),
        "orgid": org,
        "entityversion": event.originator_version,
    }
