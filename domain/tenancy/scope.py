"""What every tenancy service uses: path resolution and the permission checks on it."""

from __future__ import annotations

from uuid import UUID

from domain.core.context import CommandContext
from domain.core.errors import PermissionDenied
from domain.core.slugs import SlugClaim, looks_like_uuid
from domain.plumbing.store import EventStore
from domain.tenancy.access import AccessPolicy
from domain.tenancy.membership import OrganizationMember, membership_id
from domain.tenancy.organization import Organization
from domain.tenancy.resolver import Chain, Resolver
from domain.tenancy.roles import Action, Role


class TenancyScope:
    """Finds a path (org, team, workspace, project) and checks the caller's rights on it."""

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
            wanted += [membership_id(scope, ctx.actor_id) for scope in entities]
        depth = len([r for r in refs if r is not None])
        if claiming is not None and entities and len(entities) == depth:
            kind, slug = claiming
            wanted.append(SlugClaim.create_id(kind, str(entities[-1]), slug))
        self.store.prefetch(wanted)

    def locate(
        self,
        ctx: CommandContext,
        action: Action,
        org_ref: str,
        *below: str | None,
        include_deleted_leaf: bool = False,
        claiming: tuple[str, str] | None = None,
    ) -> Chain:
        self.prefetch_chain(ctx, (org_ref, *below), claiming)
        chain = self.resolve.chain(
            org_ref,
            *below,
            include_deleted_leaf=include_deleted_leaf,
            visible=lambda org, ref: self.access.see(ctx, org, ref),
        )
        self.access.require(ctx, action, chain)
        return chain

    def check_may_grant(
        self, ctx: CommandContext, org: Organization, role: Role, chain: Chain | None = None
    ) -> None:
        """Nobody grants (or takes away) a role above their own there; owner is for owners."""
        if role is Role.OWNER and self.access.rank_at(ctx, org, None) < Role.OWNER.rank:
            raise PermissionDenied("only an owner may grant or remove the owner role")
        if role.rank > self.access.rank_at(ctx, org, chain):
            raise PermissionDenied(f"you may not grant or remove the {role.value} role")

    def check_may_change_holder(self, ctx: CommandContext, org: Organization, user: UUID) -> None:
        """Whoever holds the owner role (directly or through a group) is changed by owners."""
        if Role.OWNER in self.access.org_roles(user, org):
            self.check_may_grant(ctx, org, Role.OWNER)

    def direct_owners(self, org: Organization) -> set[str]:
        """The org's direct owners, each checked against its membership (consistent reads:
        the event store, never a read model)."""
        ids = [u for u in map(looks_like_uuid, org.owner_candidates) if u is not None]
        self.store.prefetch(membership_id(org.id, u) for u in ids)
        owners = set()
        for user_id in ids:
            member = self.store.find(membership_id(org.id, user_id), OrganizationMember)
            if member is not None and not member.is_deleted and member.role == Role.OWNER:
                owners.add(str(user_id))
        return owners
