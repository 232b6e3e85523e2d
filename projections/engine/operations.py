"""Synchronous read-side operations for the CLI: schema, status, rebuild, dead letters."""

from __future__ import annotations

from projections.engine.base import (
    Projection,
    batch_key,
    ensure_meta,
    ensure_projection_schema,
    live_schema,
)
from projections.engine.dead_letters import DeadLetterNotFound, list_dead_letters, redrive, skip
from projections.engine.health import status
from projections.engine.rebuild import RebuildInProgress, rebuild
from projections.engine.runner import connect

__all__ = [
    "DeadLetterNotFound",
    "RebuildInProgress",
    "ensure_schema",
    "list_dead_letters",
    "rebuild",
    "redrive",
    "skip",
    "status",
]


def ensure_schema(conninfo: str, projections: list[Projection]) -> None:
    with connect(conninfo, "ensure-schema") as conn:
        with conn.transaction(), conn.cursor() as cur:
            ensure_meta(cur)
        for projection in projections:
            with conn.transaction(), conn.cursor() as cur:
                # Batch lock first, as a runner takes it, so the two never deadlock.
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (batch_key(projection.name),))
                ensure_projection_schema(cur, projection, live_schema(projection.name))
