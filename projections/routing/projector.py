"""RoutingProjection: EventRoutes with their versions, and RouteDeliveries."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor, sql

from domain.catalog.versioned import VersionedAggregate
from domain.routing.delivery import RouteDelivery
from domain.routing.event_route import EventRoute
from projections.engine.dispatch import BY_ORIGINATOR, Creates, EventDispatch, events_to_apply
from projections.engine.entity_rows import LIFECYCLE_EVENTS, lifecycle_changes
from projections.engine.log import LogBatch
from projections.engine.row_writes import RowWrites
from projections.engine.versions import VersionRows
from projections.routing import tables

VERSION = "route version"
DELIVERY = "delivery"


def _target(cls: type) -> object:
    if cls is EventRoute.Created:
        return Creates(tables.ROUTES)
    if issubclass(cls, EventRoute.VersionPublished):
        return VERSION
    if cls in (
        RouteDelivery.Recorded,
        RouteDelivery.OutcomeRecorded,
        RouteDelivery.RedriveRequested,
    ):
        return DELIVERY
    if issubclass(cls, (*LIFECYCLE_EVENTS, VersionedAggregate.RolledBack)):
        return BY_ORIGINATOR
    return None


_DISPATCH = EventDispatch(_target)
VERSIONS = VersionRows("event_route_versions", "route_id", on_row="definition")


class RoutingProjection:
    name = "routing"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        tables.create_tables(cur, schema)

    def apply(self, cur: Cursor, schema: str, batch: LogBatch) -> None:
        rows = RowWrites(schema, tables.INDEX)
        deliveries: list[tuple[Any, int]] = []
        for each in events_to_apply(cur, schema, batch, _DISPATCH, tables.INDEX):
            event, position = each.event, each.position
            if each.target is DELIVERY:
                deliveries.append((event, position))
                continue
            if isinstance(each.target, Creates):
                rows.create(tables.ROUTES, event, position)
                changes: dict[str, Any] = {}
            elif each.target is VERSION:
                VERSIONS.insert(cur, schema, event, position)
                changes = VERSIONS.published(event)
            else:
                found = lifecycle_changes(event)
                changes = VERSIONS.rolled_back(cur, schema, event) if found is None else found
            rows.change(tables.ROUTES, event, {**changes, "changed_position": position})
        rows.flush(cur)
        for event, position in deliveries:
            _write_delivery(cur, schema, event, position)


def _write_delivery(cur: Cursor, schema: str, event: Any, position: int) -> None:
    values: dict[str, Any] = {
        "guid": event.originator_id,
        "version": event.originator_version,
        "updated_at": event.timestamp,
        "updated_by": event.meta.get("actor"),
    }
    if isinstance(event, RouteDelivery.RedriveRequested):
        values["redrive_requested"] = True
    else:
        values.update(
            route_version=event.route_version,
            target=event.target,
            outcome=event.outcome,
            reason=event.reason,
            attempt=event.attempt,
            redrive_requested=False,
        )
    if isinstance(event, RouteDelivery.Recorded):
        values.update(
            organization_id=event.organization_id,
            route_id=event.route_id,
            event_id=event.event_id,
            event_type=event.event_type,
            event_position=event.event_position,
            created_position=position,
            created_at=event.timestamp,
        )
        _insert(cur, schema, values)
    else:
        _update(cur, schema, values)


def _insert(cur: Cursor, schema: str, values: dict[str, Any]) -> None:
    cur.execute(
        sql.SQL("INSERT INTO {}.route_deliveries ({}) VALUES ({}) ON CONFLICT DO NOTHING").format(
            sql.Identifier(schema),
            sql.SQL(", ").join(map(sql.Identifier, values)),
            sql.SQL(", ").join(sql.Placeholder() * len(values)),
        ),
        list(values.values()),
    )


def _update(cur: Cursor, schema: str, values: dict[str, Any]) -> None:
    guid = values.pop("guid")
    cur.execute(
        sql.SQL("UPDATE {}.route_deliveries SET {} WHERE guid = %s AND version < %s").format(
            sql.Identifier(schema),
            sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in values),
        ),
        [*values.values(), guid, values["version"]],
    )
