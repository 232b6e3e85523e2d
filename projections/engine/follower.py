"""What the runner drives: a follower of the log, and the SQL read model as one of them."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import psycopg

from projections.engine.apply import Batch, apply_batch
from projections.engine.base import (
    Projection,
    ensure_projection_schema,
    live_schema,
    read_tracking,
)
from projections.engine.log import EventLog


@runtime_checkable
class Follower(Protocol):
    """Follows the log under one name: one leader at a time, its position its own."""

    name: str

    def prepare(self, cur: psycopg.Cursor) -> None:
        """Make what it needs, its tracking included (at 0 the first time); idempotent.
        Run by each new leader in a transaction holding the follower's batch lock."""

    def position(self, cur: psycopg.Cursor) -> int:
        """The log position it has taken in."""

    def follow(self, conn: psycopg.Connection, log: EventLog, limit: int) -> Batch:
        """Take in up to `limit` notifications after its position and record the new one,
        inside the caller's transaction. A transient error is raised, for the runner to
        roll the batch back and retry it; a poison event is the follower's to handle."""


class ReadModel:
    """A projection's rows and its tracking row in its live schema, written in the batch's
    transaction; poison events become dead letters (see projections.engine.apply)."""

    def __init__(self, projection: Projection, *, max_attempts: int = 3) -> None:
        self.projection = projection
        self.name = projection.name
        self.schema = live_schema(projection.name)
        self.max_attempts = max_attempts

    def prepare(self, cur: psycopg.Cursor) -> None:
        ensure_projection_schema(cur, self.projection, self.schema)

    def position(self, cur: psycopg.Cursor) -> int:
        return read_tracking(cur, self.schema)

    def follow(self, conn: psycopg.Connection, log: EventLog, limit: int) -> Batch:
        return apply_batch(conn, self.projection, self.schema, log, limit, self.max_attempts)


def as_follower(subject: Follower | Projection, *, max_attempts: int = 3) -> Follower:
    """A follower as given, or a projection as its read model."""
    if isinstance(subject, Follower):
        return subject
    return ReadModel(subject, max_attempts=max_attempts)
