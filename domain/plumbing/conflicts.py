"""Why a write collided, told from what is stored now: a taken slug, a stale version, or
an aggregate that already exists."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from eventsourcing.domain import Aggregate

from domain.core.errors import Conflict, StaleVersion
from domain.core.slugs import SlugClaim


def explain_conflict(
    aggregates: Iterable[Aggregate], current_of: Callable[[Aggregate], Any | None]
) -> None:
    """Raise the domain error for a refused write (`current_of`: the stored aggregate)."""
    aggregates = list(aggregates)
    for aggregate in aggregates:
        if isinstance(aggregate, SlugClaim):
            current = current_of(aggregate)
            if current is not None and current.owner_id != aggregate.owner_id:
                raise Conflict(f"slug {aggregate.slug!r} is already taken", field="slug")
    for aggregate in aggregates:
        current = current_of(aggregate)
        if current is not None and not isinstance(aggregate, SlugClaim):
            raise StaleVersion(
                "modified concurrently; reload and retry", current_version=current.version
            )
    raise Conflict("already exists")
