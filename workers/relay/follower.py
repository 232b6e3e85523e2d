"""The relay: a follower of the notification log (driven by the projection engine's runner,
with its leader lock and LISTEN wake-ups) that publishes every event to JetStream.

Its position is a tracking row like a read model's (schema `rm_relay`), moved in the
batch's transaction only after the stream acked the whole batch. It resumes after whichever
is further: its own position or the last event the stream holds, so a relay killed between
the ack and the commit publishes nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import psycopg
from eventsourcing.persistence import Notification

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
from workers.relay.stored import CannotVouch, StoredEventMapper

RELAY_NAME = "relay"
CHUNK = 250  # messages handed to the publisher at a time
# Events per batch (one transaction, one read): larger batches when catching up cost fewer
# round trips and ack waits; a live relay's batches stay small.
RELAY_BATCH = 2000


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
        self._map: Callable[[Notification], Outbound | None] | None = None

    def prepare(self, cur: psycopg.Cursor) -> None:
        ensure_projection_schema(cur, _NoTables(), self.schema)

    def position(self, cur: psycopg.Cursor) -> int:
        return read_tracking(cur, self.schema)

    def follow(self, conn: psycopg.Connection, log: EventLog, limit: int) -> Batch:
        with conn.cursor() as cur:
            own = read_tracking(cur, self.schema)
            after = max(own, self.publisher.stream_position())
            notifications = log.read(after, limit)
            self.publisher.publish_chunks(self._chunks(notifications, log))
            position = notifications[-1].id if notifications else after
            if position != own:
                write_tracking(cur, self.schema, position)
        return Batch(len(notifications), position)

    def _chunks(
        self, notifications: Sequence[Notification], log: EventLog
    ) -> Iterator[list[Outbound]]:
        """The batch's messages in log order, a chunk at a time (the publisher sends one
        while the next is made)."""
        mapper = self._mapper(log)
        chunk: list[Outbound] = []
        for notification in notifications:
            message = mapper(notification)
            if message is not None:
                chunk.append(message)
                if len(chunk) == CHUNK:
                    yield chunk
                    chunk = []
        yield chunk

    def _mapper(self, log: EventLog) -> Callable[[Notification], Outbound | None]:
        if self._map is None:
            entities = EntityNames(log.first_event)
            transcodings = log.json_transcodings()
            stored = (
                None
                if transcodings is None
                else StoredEventMapper(transcodings, entities, self.prefix)
            )

            def decoded(notification: Notification) -> Outbound | None:
                # An event that cannot be decoded stops the relay (the runner retries and
                # reports it): the bus is in log order and a gap would go unnoticed.
                event = log.decode(notification)
                return outbound(notification, event, entities.of(event), self.prefix)

            def mapper(notification: Notification) -> Outbound | None:
                if stored is not None:
                    try:
                        return stored.outbound(notification)
                    except CannotVouch:
                        pass
                return decoded(notification)

            self._map = mapper
        return self._map
