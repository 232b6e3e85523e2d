"""The notification log as the read side sees it: positions and decoded domain events.

Reads go through the application's own recorder, so they share its pool and its ordering
guarantee (the stock insert locks the events table: commit order == id order, so a
follower reading `> position` never passes over an event that commits later).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.utils import get_topic


@dataclass(frozen=True)
class Undecodable:
    """Stands in for a stored event the mapper cannot decode (say, a moved class without
    `register_topic`): it is quarantined like any poison event instead of halting the
    read model, and a re-drive decodes it again once the code is fixed."""

    originator_id: Any
    originator_version: int
    topic: str
    error: str


class EventLog:
    def __init__(self, app: Any) -> None:
        self._recorder = app.recorder
        self._mapper = app.mapper
        self.channel: str = app.recorder.channel_name

    def read(self, after: int, limit: int) -> list[tuple[int, object]]:
        notifications = self._recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        return [(n.id, self._decode(n)) for n in notifications]

    def get(self, position: int) -> object | None:
        """The event at exactly `position`, or None when there is none."""
        found = self.read(position - 1, 1)
        if found and found[0][0] == position:
            return found[0][1]
        return None

    def head(self) -> int:
        return self._recorder.max_notification_id() or 0

    def _decode(self, notification: Any) -> object:
        try:
            return self._mapper.to_domain_event(notification)
        except Exception as exc:  # noqa: BLE001 - any decode failure is a poison event
            return Undecodable(
                notification.originator_id,
                notification.originator_version,
                notification.topic,
                f"cannot decode: {type(exc).__name__}: {exc}",
            )


def describe(event: object) -> tuple[str | None, int | None, str]:
    """(originator id, originator version, topic) for a dead-letter row."""
    if isinstance(event, Undecodable):
        return str(event.originator_id), event.originator_version, event.topic
    originator_id = getattr(event, "originator_id", None)
    version = getattr(event, "originator_version", None)
    return (
        None if originator_id is None else str(originator_id),
        version,
        get_topic(type(event)),
    )
