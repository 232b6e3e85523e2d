"""InfraServicesProjection: one row per infra service; health as of its last change."""

from __future__ import annotations

from psycopg import Cursor

from domain.infra.infra_service import InfraService
from projections.engine.dispatch import BY_ORIGINATOR, Creates, EventDispatch, events_to_apply
from projections.engine.entity_rows import LIFECYCLE_EVENTS, OneTableIndex, lifecycle_changes
from projections.engine.log import LogBatch
from projections.engine.row_writes import RowWrites
from projections.infra_services import tables

_INDEX = OneTableIndex(tables.SERVICES)


def _target(cls: type) -> object:
    if issubclass(cls, InfraService.Created):
        return Creates(tables.SERVICES)
    if issubclass(cls, (*LIFECYCLE_EVENTS, InfraService.HealthChanged)):
        return BY_ORIGINATOR
    return None


_DISPATCH = EventDispatch(_target)


class InfraServicesProjection:
    name = "infra_services"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        tables.create_tables(cur, schema)

    def apply(self, cur: Cursor, schema: str, batch: LogBatch) -> None:
        rows = RowWrites(schema, _INDEX)
        for each in events_to_apply(cur, schema, batch, _DISPATCH, _INDEX):
            event = each.event
            if isinstance(each.target, Creates):
                rows.create(tables.SERVICES, event, each.position)
            elif isinstance(event, InfraService.HealthChanged):
                changes = {
                    "is_healthy": event.is_healthy,
                    "consecutive_fails": event.consecutive_fails,
                    "health_changed_at": event.at,
                    "health_reason": event.reason,
                }
                rows.change(tables.SERVICES, event, changes)
            else:
                rows.change(tables.SERVICES, event, lifecycle_changes(event) or {})
        rows.flush(cur)
