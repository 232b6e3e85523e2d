"""The notification log as the read side sees it: positions, raw notifications, and the
domain events decoded from them only when a read model asks.

Reads go through the application's own recorder, so they share its pool and its ordering
guarantee (the stock insert locks the events table: commit order == id order, so a
follower reading `> position` never passes over an event that commits later).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic


class Undecodable(Exception):
    """A stored event the mapper cannot decode (say, a moved class without
    `register_topic`): it is quarantined like any poison event instead of halting the
    read model, and a re-drive decodes it again once the code is fixed."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(f"cannot decode: {type(exc).__name__}: {exc}")


class EventLog:
    def __init__(self, app: Any) -> None:
        self._recorder = app.recorder
        self._mapper = app.mapper
        self.channel: str = app.recorder.channel_name

    def read(self, after: int, limit: int) -> Sequence[Notification]:
        return self._recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )

    def get(self, position: int) -> Notification | None:
        """The notification at exactly `position`, or None when there is none."""
        found = self.read(position - 1, 1)
        return found[0] if found and found[0].id == position else None

    def head(self) -> int:
        return self._recorder.max_notification_id() or 0

    def first_event(self, originator_id: Any) -> Any | None:
        """An entity's first event, decoded (its `originator_topic` names the aggregate)."""
        stored = self._recorder.select_events(originator_id, limit=1)
        return self._mapper.to_domain_event(stored[0]) if stored else None

    def decode(self, notification: Notification) -> Any:
        try:
            return self._mapper.to_domain_event(notification)
        except Exception as exc:  # noqa: BLE001 - any decode failure is a poison event
            raise Undecodable(exc) from exc


def event_class(topic: str) -> type:
    """The class a topic names (registered old topics included), without decoding."""
    try:
        return resolve_topic(topic)
    except Exception as exc:  # noqa: BLE001 - the mapper would fail on it too
        raise Undecodable(exc) from exc


@dataclass(frozen=True)
class LogBatch:
    """Consecutive notifications in log order, for a read model to pick from: it decodes
    only the events it applies."""

    notifications: Sequence[Notification]
    log: EventLog

    def decode(self, notification: Notification) -> Any:
        return self.log.decode(notification)


def describe(notification: Notification) -> tuple[str, int, str]:
    """(originator id, originator version, topic) for a dead-letter row."""
    return str(notification.originator_id), notification.originator_version, notification.topic
