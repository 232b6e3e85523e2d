"""The relay: a follower of the notification log (driven by the projection engine's runner,
with its leader lock and LISTEN wake-ups) that publishes every event to JetStream.

Its position is a tracking row like a read model's (schema `rm_relay`), moved in the
batch's transaction only after the stream acked the whole batch. It resumes after whichever
is further: its own position or the last event the stream holds, so a relay killed between
the ack and the commit publishes nothing twice.
"""

from __future__ import annotations

import psycopg

from projections.engine.apply import Batch
from projections.engine.base import (
    ensure_projection_schema,
    live_schema,
    read_tracking,
    write_tracking,
)
from projections.engine.log import EventLog
from workers.relay.mapping import EntityNames, Outbound, outbound
from workers.relay.publisher import JetStreamPublisher

RELAY_NAME = "relay"


class _NoTables:
    """The relay keeps only its tracking row."""

    name = RELAY_NAME

    def create_tables(self, cur: psycopg.Cursor, schema: str) -> None:
        return None

    def apply(self, cur: psycopg.Cursor, schema: str, batch: object) -> None:
        return None


class RelayFollower:
    def __init__(self, publisher: JetStreamPublisher, *, name: str = RELAY_NAME) -> None:
        self.publisher = publisher
        self.name = name
        self.schema = live_schema(name)
        self.prefix = publisher.config.subject_prefix
        self._entities: EntityNames | None = None

    def prepare(self, cur: psycopg.Cursor) -> None:
        ensure_projection_schema(cur, _NoTables(), self.schema)

    def position(self, cur: psycopg.Cursor) -> int:
        return read_tracking(cur, self.schema)

    def follow(self, conn: psycopg.Connection, log: EventLog, limit: int) -> Batch:
        with conn.cursor() as cur:
            own = read_tracking(cur, self.schema)
            after = max(own, self.publisher.stream_position())
            notifications = log.read(after, limit)
            if self._entities is None:
                self._entities = EntityNames(log.first_event)
            messages: list[Outbound] = []
            for notification in notifications:
                # An event that cannot be decoded stops the relay (the runner retries and
                # reports it): the bus is in log order and a gap would go unnoticed.
                event = log.decode(notification)
                entity = self._entities.of(event)
                message = outbound(notification, event, entity, self.prefix)
                if message is not None:
                    messages.append(message)
            self.publisher.publish(messages)
            position = notifications[-1].id if notifications else after
            if position != own:
                write_tracking(cur, self.schema, position)
        return Batch(len(notifications), position)
