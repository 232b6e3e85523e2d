"""What every tenancy use case shares: the store, path resolution, permission checks."""

from __future__ import annotations

from domain.core.context import CommandContext
from domain.core.errors import (
    PermissionDenied,
)
from domain.store import EventStore
from domain.tenancy.access import AccessPolicy
from domain.tenancy.organization import Organization
from domain.tenancy.resolver import Chain, Resolver
from domain.tenancy.roles import Action, OrgRole


class TenancyUseCases:
    """Shared by the use-case groups: the store, path resolution and permission checks."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.resolve = Resolver(store)
        self.access = AccessPolicy(store)

    def locate(
        self,
        ctx: CommandContext,
        action: Action,
        *refs: str | None,
        include_deleted_leaf: bool = False,
    ) -> Chain:
        chain = self.resolve.chain(*refs, include_deleted_leaf=include_deleted_leaf)
        self.access.require(ctx, action, chain.org, chain.team)
        return chain

    def check_may_grant(self, ctx: CommandContext, org: Organization, role: OrgRole) -> None:
        if role is OrgRole.OWNER and not ctx.is_platform_admin:
            if self.access.org_role(ctx.actor_id, org) is not OrgRole.OWNER:
                raise PermissionDenied("only an owner may grant or remove the owner role")
