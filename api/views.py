"""Turning rows, aggregates and events into wire bodies and write responses."""

from __future__ import annotations

from typing import Any

from fastapi.encoders import jsonable_encoder

from api.responses import FastJSONResponse
from domain.core.aggregate import CoreAggregate
from domain.core.context import CommandResult

POSITION_HEADER = "X-Signalyard-Position"
_HIDDEN_EVENT_FIELDS = {
    "originator_id",
    "originator_version",
    "timestamp",
    "meta",
    "originator_topic",
}


def aggregate_row(entity: CoreAggregate, *extra: str) -> dict[str, Any]:
    row = {
        "guid": entity.id,
        "slug": entity.slug,
        "name": entity.name,
        "description": entity.description,
        "version": entity.version,
        "created_at": entity.created_on,
        "created_by": entity.created_by,
        "updated_at": entity.modified_on,
        "updated_by": entity.updated_by,
        "deleted_at": entity.deleted_at,
        "deleted_by": entity.deleted_by,
    }
    row.update({name: getattr(entity, name) for name in extra})
    return row


def etag(version: int) -> str:
    return f'"{version}"'


def written(
    result: CommandResult,
    body: Any,
    location: str | None = None,
    status: int = 200,
    etag_version: int | None = None,
) -> FastJSONResponse:
    headers = {
        POSITION_HEADER: str(result.position),
        "ETag": etag(etag_version if etag_version is not None else result.version),
    }
    if location:
        headers["Location"] = location
    return FastJSONResponse(body, status_code=status, headers=headers)


def found(body: Any, version: int) -> FastJSONResponse:
    return FastJSONResponse(body, headers={"ETag": etag(version)})


def history_entries(entity_type: str, events: list[Any]) -> list[dict[str, Any]]:
    entries = []
    for event in events:
        data = {k: v for k, v in vars(event).items() if k not in _HIDDEN_EVENT_FIELDS}
        if "changes" in data and isinstance(data["changes"], dict):
            changed = sorted(data["changes"])
        else:
            changed = sorted(data)
        meta = getattr(event, "meta", {}) or {}
        entries.append(
            {
                "type": f"{entity_type}.{type(event).__name__}",
                "version": event.originator_version,
                "timestamp": event.timestamp,
                "actor": meta.get("actor"),
                "correlation_id": meta.get("correlation_id"),
                "causation_id": meta.get("causation_id"),
                "changed_fields": changed,
                "data": jsonable_encoder(data),
            }
        )
    return entries
