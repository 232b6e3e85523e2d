"""Which events of a batch a read model applies, decided before any is decoded.

A read model routes event classes to what it does with them; the route of a topic is found
once and kept. Events of the base classes (Updated, Deleted...) name only their
originator: they are wanted only for the model's own entities, found for the whole batch
with one lookup. Everything else in the log is never decoded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from psycopg import Cursor

from projections.engine.entity_rows import EntityIndex, EntityTable
from projections.engine.log import LogBatch, event_class


@dataclass(frozen=True)
class Creates:
    table: EntityTable


# For events that apply only to entities of the read model: the lookup gives the table.
BY_ORIGINATOR = "by originator"


class Routes:
    def __init__(self, route: Callable[[type], Any]) -> None:
        self._route = route  # an event class -> Creates, BY_ORIGINATOR, another, or None
        self._by_topic: dict[str, Any] = {}

    def of(self, topic: str) -> Any:
        try:
            return self._by_topic[topic]
        except KeyError:
            route = self._by_topic[topic] = self._route(event_class(topic))
            return route


@dataclass(frozen=True)
class RoutedEvent:
    position: int
    event: Any
    route: Any
    table: EntityTable | None  # the entity's table, for Creates and BY_ORIGINATOR


def events_to_apply(
    cur: Cursor, schema: str, batch: LogBatch, routes: Routes, index: EntityIndex
) -> list[RoutedEvent]:
    """The batch's events this read model applies, decoded, in log order."""
    routed = [(n, r) for n in batch.notifications if (r := routes.of(n.topic)) is not None]
    held = {n.originator_id: r.table for n, r in routed if isinstance(r, Creates)}
    unknown = {n.originator_id for n, r in routed if r is BY_ORIGINATOR} - held.keys()
    if unknown:
        held.update(index.tables_of(cur, schema, unknown))
    selected = []
    for notification, route in routed:
        table = None
        if isinstance(route, Creates):
            table = route.table
        elif route is BY_ORIGINATOR:
            table = held.get(notification.originator_id)
            if table is None:
                continue  # not an entity of this read model
        event = batch.decode(notification)
        selected.append(RoutedEvent(notification.id, event, route, table))
    return selected
