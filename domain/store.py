"""The event store application: one notification log for the whole deployment.

Use cases load aggregates from here, call them, and `record` them; all aggregates given
to one `record` call are committed in one transaction (an entity and its slug claim, say).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.catalog.config import Config
from domain.catalog.skill import Skill
from domain.core.context import CommandContext
from domain.core.errors import Conflict, NotFound, StaleVersion
from domain.core.reading import (
    AggregateCache,
    BatchReader,
    ReadSession,
    SessionScope,
    fast_forward,
)
from domain.core.slugs import SlugClaim
from domain.identity.user import User
from domain.tenancy.hierarchy import Project, Team, Workspace
from domain.tenancy.organization import Organization

A = TypeVar("A", bound=Aggregate)


class EventStore(Application):
    name = "signalyard"
    snapshotting_intervals = {
        Organization: 50,
        Team: 50,
        Workspace: 50,
        Project: 50,
        User: 50,
        Skill: 50,  # one event per version: long-lived skills and configs grow
        Config: 50,
    }

    def __init__(self, env: dict[str, str] | None = None, *, cache_size: int = 5000) -> None:
        super().__init__(env)
        self.cache = AggregateCache(cache_size)
        self.sessions = SessionScope()
        # Set by the composition root where the recorder can answer many ids in one query.
        self.batch_reader: BatchReader | None = None

    # -- reading ----------------------------------------------------------------------
    def reading(self) -> AbstractContextManager[ReadSession]:
        """One command's reads: each aggregate is read once, `prefetch` batches them."""
        return self.sessions.open()

    def prefetch(self, aggregate_ids: Iterable[UUID | None]) -> None:
        """Bring these aggregates up to date in one query (inside `reading()` only)."""
        session = self.sessions.current
        if session is None:
            return
        wanted = [
            i
            for i in dict.fromkeys(aggregate_ids)
            if i is not None and i not in session.loaded and i not in session.missing
        ]
        if wanted:
            found = self._read_fresh(wanted)
            session.loaded.update(found)
            session.missing.update(i for i in wanted if i not in found)

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        session = self.sessions.current
        if session is not None and aggregate_id in session.missing:
            return None
        if session is not None and aggregate_id in session.loaded:
            aggregate = session.loaded[aggregate_id]
        else:
            aggregate = self._read_fresh([aggregate_id]).get(aggregate_id)
            if session is not None:
                if aggregate is None:
                    session.missing.add(aggregate_id)
                else:
                    session.loaded[aggregate_id] = aggregate
        return aggregate if isinstance(aggregate, kind) else None

    def _read_fresh(self, aggregate_ids: list[UUID]) -> dict[UUID, Any]:
        masters = {i: self.cache.peek(i) for i in aggregate_ids}
        if len(aggregate_ids) == 1 and masters[aggregate_ids[0]] is None:
            return self._load_one(aggregate_ids[0])  # cold: use snapshots
        known = [(i, m.version if m is not None else 0) for i, m in masters.items()]
        if self.batch_reader is not None:
            stored = self.batch_reader(known)
        else:
            stored = [e for i, v in known for e in self.recorder.select_events(i, gt=v)]
        found = fast_forward(masters, stored, self.mapper.to_domain_event)
        for aggregate_id, aggregate in found.items():
            master = masters[aggregate_id]
            if master is None or master.version < aggregate.version:
                self.cache.put(aggregate)
        return found

    def _load_one(self, aggregate_id: UUID) -> dict[UUID, Any]:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return {}
        self.cache.put(aggregate)
        return {aggregate_id: aggregate}

    def load(self, aggregate_id: UUID, kind: type[A], what: str | None = None) -> A:
        aggregate = self.find(aggregate_id, kind)
        if aggregate is None:
            raise NotFound(f"{what or kind.__name__.lower()} not found")
        return aggregate

    def record(self, *aggregates: Aggregate) -> int:
        """Commit the aggregates' pending events atomically; return the last position."""
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            for aggregate in aggregates:
                self.cache.discard(aggregate.id)
            self._explain_conflict(aggregates)
            raise
        session = self.sessions.current
        for aggregate in aggregates:
            self.cache.put(aggregate)
            if session is not None:
                session.missing.discard(aggregate.id)
                session.loaded[aggregate.id] = aggregate
        positions = [r.notification.id for r in recordings if r.notification.id is not None]
        return max(positions) if positions else self.recorder.max_notification_id() or 0

    def _explain_conflict(self, aggregates: tuple[Aggregate, ...]) -> None:
        def current_of(aggregate: Aggregate) -> Any | None:
            return self._read_fresh([aggregate.id]).get(aggregate.id)  # past the session

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

    # -- slugs ------------------------------------------------------------------------
    def slug_owner(self, kind: str, scope_id: UUID | str, slug: str) -> UUID | None:
        claim = self.find(SlugClaim.create_id(kind, str(scope_id), slug), SlugClaim)
        return claim.owner_id if claim else None

    def claim_slug(
        self,
        ctx: CommandContext,
        tenant_id: UUID | None,
        kind: str,
        scope_id: UUID | str,
        slug: str,
        owner_id: UUID,
    ) -> SlugClaim:
        claim_id = SlugClaim.create_id(kind, str(scope_id), slug)
        claim = self.find(claim_id, SlugClaim)
        meta = ctx.meta(tenant_id)
        if claim is None:
            return SlugClaim(
                kind=kind, scope_id=str(scope_id), slug=slug, owner_id=owner_id, meta=meta
            )
        if claim.owner_id not in (None, owner_id):
            raise Conflict(f"slug {slug!r} is already taken", field="slug")
        if claim.owner_id is None:
            claim.reclaim(owner_id=owner_id, meta=meta)
        return claim

    def release_slug(
        self,
        ctx: CommandContext,
        tenant_id: UUID | None,
        kind: str,
        scope_id: UUID | str,
        slug: str,
    ) -> SlugClaim | None:
        claim = self.find(SlugClaim.create_id(kind, str(scope_id), slug), SlugClaim)
        if claim is None or claim.owner_id is None:
            return None
        claim.release(meta=ctx.meta(tenant_id))
        return claim

    # -- audit --------------------------------------------------------------------------
    def history(self, aggregate_id: UUID) -> list[Any]:
        return list(self.events.get(aggregate_id))
