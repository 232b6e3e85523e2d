"""What every tenancy use case shares: the store, path resolution, permission checks."""

from __future__ import annotations

from domain.core.context import CommandContext
from domain.core.errors import (
    PermissionDenied,
)
from domain.core.slugs import SlugClaim
from domain.store import EventStore
from domain.tenancy.access import AccessPolicy
from domain.tenancy.membership import membership_id
from domain.tenancy.organization import Organization
from domain.tenancy.resolver import Chain, Resolver
from domain.tenancy.roles import Action, OrgRole


class TenancyUseCases:
    """Shared by the use-case groups: the store, path resolution and permission checks."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.resolve = Resolver(store)
        self.access = AccessPolicy(store)

    def prefetch_chain(
        self,
        ctx: CommandContext,
        refs: tuple[str | None, ...],
        claiming: tuple[str, str] | None = None,
    ) -> None:
        """Read the path, the caller's memberships and a new child's slug claim in one go."""
        entities, wanted = self.resolve.guess(*refs)
        if ctx.actor_id is not None:
            wanted += [membership_id(scope, ctx.actor_id) for scope in entities[:2]]
        depth = len([r for r in refs if r is not None])
        if claiming is not None and entities and len(entities) == depth:
            kind, slug = claiming
            wanted.append(SlugClaim.create_id(kind, str(entities[-1]), slug))
        self.store.prefetch(wanted)

    def locate(
        self,
        ctx: CommandContext,
        action: Action,
        *refs: str | None,
        include_deleted_leaf: bool = False,
        claiming: tuple[str, str] | None = None,
    ) -> Chain:
        self.prefetch_chain(ctx, refs, claiming)
        chain = self.resolve.chain(*refs, include_deleted_leaf=include_deleted_leaf)
        self.access.require(ctx, action, chain.org, chain.team)
        return chain

    def check_may_grant(self, ctx: CommandContext, org: Organization, role: OrgRole) -> None:
        if role is OrgRole.OWNER and not ctx.is_platform_admin:
            if self.access.org_role(ctx.actor_id, org) is not OrgRole.OWNER:
                raise PermissionDenied("only an owner may grant or remove the owner role")
