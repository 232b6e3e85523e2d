"""The event store application: one notification log for the whole deployment.

Use cases load aggregates from here, call them, and `record` them; all aggregates given
to one `record` call are committed in one transaction (an entity and its slug claim, say).
"""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.catalog.config import Config
from domain.catalog.skill import Skill
from domain.core.context import CommandContext
from domain.core.errors import Conflict, NotFound, StaleVersion
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

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, kind) else None

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
            self._explain_conflict(aggregates)
            raise
        positions = [r.notification.id for r in recordings if r.notification.id is not None]
        return max(positions) if positions else self.recorder.max_notification_id() or 0

    def _explain_conflict(self, aggregates: tuple[Aggregate, ...]) -> None:
        for aggregate in aggregates:
            if isinstance(aggregate, SlugClaim):
                current = self.find(aggregate.id, SlugClaim)
                if current is not None and current.owner_id != aggregate.owner_id:
                    raise Conflict(f"slug {aggregate.slug!r} is already taken", field="slug")
        for aggregate in aggregates:
            current = self.find(aggregate.id, type(aggregate))
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
