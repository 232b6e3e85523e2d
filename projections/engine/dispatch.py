"""Which events of a batch a read model applies, decided before any is decoded.

A read model's dispatch maps event classes to a target (what it does with them); the target
of a topic is found once and kept. Events of the base classes (Updated, Deleted...) name
only their originator: they are wanted only for the model's own entities, found for the
whole batch with one lookup. Everything else in the log is never decoded.

("Dispatch", not "routes": HTTP routes live in api/ and EventRoutes signal workflows.)
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


class EventDispatch:
    def __init__(self, target: Callable[[type], Any]) -> None:
        self._target = target  # an event class -> Creates, BY_ORIGINATOR, another, or None
        self._by_topic: dict[str, Any] = {}

    def of(self, topic: str) -> Any:
        try:
            return self._by_topic[topic]
        except KeyError:
            target = self._by_topic[topic] = self._target(event_class(topic))
            return target


@dataclass(frozen=True)
class DispatchedEvent:
    position: int
    event: Any
    target: Any
    table: EntityTable | None  # the entity's table, for Creates and BY_ORIGINATOR


def events_to_apply(
    cur: Cursor, schema: str, batch: LogBatch, dispatch: EventDispatch, index: EntityIndex
) -> list[DispatchedEvent]:
    """The batch's events this read model applies, decoded, in log order."""
    wanted = [(n, t) for n in batch.notifications if (t := dispatch.of(n.topic)) is not None]
    held = {n.originator_id: t.table for n, t in wanted if isinstance(t, Creates)}
    unknown = {n.originator_id for n, t in wanted if t is BY_ORIGINATOR} - held.keys()
    if unknown:
        held.update(index.tables_of(cur, schema, unknown))
    selected = []
    for notification, target in wanted:
        table = None
        if isinstance(target, Creates):
            table = target.table
        elif target is BY_ORIGINATOR:
            table = held.get(notification.originator_id)
            if table is None:
                continue  # not an entity of this read model
        event = batch.decode(notification)
        selected.append(DispatchedEvent(notification.id, event, target, table))
    return selected
