"""Claiming, releasing and looking up slugs: a SlugClaim aggregate per (kind, scope, slug),
recorded with the entity that takes it, so the store's primary key decides races."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from domain.core.context import CommandContext
from domain.core.errors import Conflict
from domain.core.slugs import SlugClaim


class SlugClaims:
    def __init__(self, find: Callable[[UUID, type[SlugClaim]], SlugClaim | None]) -> None:
        self._find = find  # the store's read, inside the command's session

    def owner(self, kind: str, scope_id: UUID | str, slug: str) -> UUID | None:
        claim = self._find(SlugClaim.create_id(kind, str(scope_id), slug), SlugClaim)
        return claim.owner_id if claim else None

    def claim(
        self,
        ctx: CommandContext,
        tenant_id: UUID | None,
        kind: str,
        scope_id: UUID | str,
        slug: str,
        owner_id: UUID,
    ) -> SlugClaim:
        """The claim to record with its owner (new, reclaimed or already the owner's)."""
        claim_id = SlugClaim.create_id(kind, str(scope_id), slug)
        claim = self._find(claim_id, SlugClaim)
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

    def release(
        self,
        ctx: CommandContext,
        tenant_id: UUID | None,
        kind: str,
        scope_id: UUID | str,
        slug: str,
    ) -> SlugClaim | None:
        claim = self._find(SlugClaim.create_id(kind, str(scope_id), slug), SlugClaim)
        if claim is None or claim.owner_id is None:
            return None
        claim.release(meta=ctx.meta(tenant_id))
        return claim
