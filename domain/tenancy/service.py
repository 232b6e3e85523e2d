"""Use cases of the tenancy hierarchy: load, check permission, call the aggregate, record."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from domain.core.context import CommandContext, CommandResult
from domain.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    VersionRequired,
)
from domain.core.slugs import validate_slug
from domain.core.values import slug_for, validate_description, validate_name
from domain.identity.user import User
from domain.store import EventStore
from domain.tenancy.access import AccessPolicy
from domain.tenancy.entities import delete_entity, undelete_entity, update_entity
from domain.tenancy.hierarchy import Project, Team, Workspace, validate_settings
from domain.tenancy.membership import OrganizationMember, TeamMembership, membership_id
from domain.tenancy.organization import Organization, validate_website
from domain.tenancy.resolver import Chain, Resolver
from domain.tenancy.roles import Action, OrgRole, parse_org_role, parse_team_role

_UPDATE_ACTION = {
    Organization: Action.ORG_UPDATE,
    Team: Action.TEAM_UPDATE,
    Workspace: Action.WORKSPACE_WRITE,
    Project: Action.PROJECT_WRITE,
}
_DELETE_ACTION = {
    Organization: Action.ORG_DELETE,
    Team: Action.TEAM_DELETE,
    Workspace: Action.WORKSPACE_WRITE,
    Project: Action.PROJECT_DELETE,
}


class TenancyService:
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

    # -- organizations ------------------------------------------------------------------
    def create_organization(
        self,
        ctx: CommandContext,
        name: str,
        slug: str | None = None,
        description: str = "",
        website: str | None = None,
    ) -> CommandResult:
        if ctx.actor_id is None:
            raise Unauthenticated("an organization needs a creating user")
        name = validate_name(name)
        slug = slug_for(name, slug)
        creator = self.store.load(ctx.actor_id, User, "user")
        org_id = uuid4()
        org = Organization(
            id=org_id,
            name=name,
            slug=slug,
            description=validate_description(description),
            website=validate_website(website),
            meta=ctx.meta(org_id),
        )
        owner = OrganizationMember(
            id=membership_id(org.id, creator.id),
            organization_id=org.id,
            user_id=creator.id,
            name=creator.name,
            slug=creator.slug,
            role=OrgRole.OWNER.value,
            meta=ctx.meta(org.id),
        )
        claim = self.store.claim_slug(ctx, org.id, "org", "", slug, org.id)
        return CommandResult.of(org, self.store.record(org, claim, owner))

    # -- team / workspace / project -------------------------------------------------------
    def create_team(
        self,
        ctx: CommandContext,
        org_ref: str,
        name: str,
        slug: str | None = None,
        description: str = "",
    ) -> CommandResult:
        org = self.locate(ctx, Action.TEAM_CREATE, org_ref).org
        name = validate_name(name)
        slug = slug_for(name, slug)
        team = Team(
            organization_id=org.id,
            name=name,
            slug=slug,
            description=validate_description(description),
            meta=ctx.meta(org.id),
        )
        claim = self.store.claim_slug(ctx, org.id, "team", org.id, slug, team.id)
        return CommandResult.of(team, self.store.record(team, claim))

    def create_workspace(
        self,
        ctx: CommandContext,
        org_ref: str,
        team_ref: str,
        name: str,
        slug: str | None = None,
        description: str = "",
        is_active: bool = True,
    ) -> CommandResult:
        chain = self.locate(ctx, Action.WORKSPACE_WRITE, org_ref, team_ref)
        assert chain.team is not None
        name = validate_name(name)
        slug = slug_for(name, slug)
        if not isinstance(is_active, bool):
            raise InvalidInput("is_active must be a boolean", field="is_active")
        ws = Workspace(
            organization_id=chain.org.id,
            team_id=chain.team.id,
            name=name,
            slug=slug,
            description=validate_description(description),
            is_active=is_active,
            meta=ctx.meta(chain.org.id),
        )
        claim = self.store.claim_slug(ctx, chain.org.id, "workspace", chain.team.id, slug, ws.id)
        return CommandResult.of(ws, self.store.record(ws, claim))

    def create_project(
        self,
        ctx: CommandContext,
        org_ref: str,
        team_ref: str,
        ws_ref: str,
        name: str,
        slug: str | None = None,
        description: str = "",
        settings: dict | None = None,
    ) -> CommandResult:
        chain = self.locate(ctx, Action.PROJECT_WRITE, org_ref, team_ref, ws_ref)
        assert chain.team is not None and chain.workspace is not None
        if not chain.workspace.is_active:
            raise Conflict("workspace is not active", field="workspace")
        name = validate_name(name)
        slug = slug_for(name, slug)
        project = Project(
            organization_id=chain.org.id,
            team_id=chain.team.id,
            workspace_id=chain.workspace.id,
            name=name,
            slug=slug,
            description=validate_description(description),
            settings=validate_settings({} if settings is None else settings),
            meta=ctx.meta(chain.org.id),
        )
        claim = self.store.claim_slug(
            ctx, chain.org.id, "project", chain.workspace.id, slug, project.id
        )
        return CommandResult.of(project, self.store.record(project, claim))

    # -- any entity of the hierarchy ------------------------------------------------------
    def update(
        self,
        ctx: CommandContext,
        refs: tuple[str | None, ...],
        changes: dict[str, Any],
        expected_version: int | None,
    ) -> CommandResult:
        chain = self.resolve.chain(*refs)
        self.access.require(ctx, _UPDATE_ACTION[type(chain.leaf)], chain.org, chain.team)
        return update_entity(self.store, ctx, chain.leaf, changes, expected_version)

    def delete(
        self, ctx: CommandContext, refs: tuple[str | None, ...], expected_version: int | None
    ) -> CommandResult:
        chain = self.resolve.chain(*refs)
        self.access.require(ctx, _DELETE_ACTION[type(chain.leaf)], chain.org, chain.team)
        return delete_entity(self.store, ctx, chain.leaf, expected_version)

    def undelete(
        self, ctx: CommandContext, refs: tuple[str | None, ...], expected_version: int | None
    ) -> CommandResult:
        chain = self.resolve.chain(*refs, include_deleted_leaf=True)
        self.access.require(ctx, _DELETE_ACTION[type(chain.leaf)], chain.org, chain.team)
        return undelete_entity(self.store, ctx, chain.leaf, expected_version)

    def history(self, ctx: CommandContext, refs: tuple[str | None, ...]) -> tuple[Any, list[Any]]:
        chain = self.resolve.chain(*refs, include_deleted_leaf=True)
        self.access.require(ctx, Action.READ, chain.org, chain.team)
        return chain.leaf, self.store.history(chain.leaf.id)

    # -- memberships ----------------------------------------------------------------------
    def put_org_member(
        self,
        ctx: CommandContext,
        org_ref: str,
        user_ref: str,
        role: str,
        expected_version: int | None = None,
    ) -> tuple[CommandResult, bool]:
        org = self.locate(ctx, Action.ORG_MEMBERS, org_ref).org
        new_role = parse_org_role(role)
        self._check_may_grant(ctx, org, new_role)
        user = self.resolve.user(user_ref)
        member = self.store.find(membership_id(org.id, user.id), OrganizationMember)
        meta = ctx.meta(org.id)
        if member is None:
            member = OrganizationMember(
                id=membership_id(org.id, user.id),
                organization_id=org.id,
                user_id=user.id,
                name=user.name,
                slug=user.slug,
                role=new_role.value,
                meta=meta,
            )
            return CommandResult.of(member, self.store.record(member)), True
        return self._regrant(ctx, member, new_role.value, expected_version), False

    def remove_org_member(
        self, ctx: CommandContext, org_ref: str, user_ref: str, expected_version: int | None
    ) -> CommandResult:
        org = self.locate(ctx, Action.ORG_MEMBERS, org_ref).org
        user = self.resolve.user(user_ref, include_deleted=True)
        member = self._live_member(OrganizationMember, membership_id(org.id, user.id))
        self._check_may_grant(ctx, org, OrgRole(member.role))
        return delete_entity(self.store, ctx, member, expected_version)

    def put_team_member(
        self,
        ctx: CommandContext,
        org_ref: str,
        team_ref: str,
        user_ref: str,
        role: str,
        expected_version: int | None = None,
    ) -> tuple[CommandResult, bool]:
        chain = self.locate(ctx, Action.TEAM_MEMBERS, org_ref, team_ref)
        assert chain.team is not None
        new_role = parse_team_role(role)
        user = self.resolve.user(user_ref)
        if self.access.org_role(user.id, chain.org) is None:
            raise InvalidInput("user must be a member of the organization first", field="user")
        member = self.store.find(membership_id(chain.team.id, user.id), TeamMembership)
        if member is None:
            member = TeamMembership(
                id=membership_id(chain.team.id, user.id),
                organization_id=chain.org.id,
                team_id=chain.team.id,
                user_id=user.id,
                name=user.name,
                slug=user.slug,
                role=new_role.value,
                meta=ctx.meta(chain.org.id),
            )
            return CommandResult.of(member, self.store.record(member)), True
        return self._regrant(ctx, member, new_role.value, expected_version), False

    def remove_team_member(
        self,
        ctx: CommandContext,
        org_ref: str,
        team_ref: str,
        user_ref: str,
        expected_version: int | None,
    ) -> CommandResult:
        chain = self.locate(ctx, Action.TEAM_MEMBERS, org_ref, team_ref)
        assert chain.team is not None
        user = self.resolve.user(user_ref, include_deleted=True)
        member = self._live_member(TeamMembership, membership_id(chain.team.id, user.id))
        return delete_entity(self.store, ctx, member, expected_version)

    def member_history(
        self, ctx: CommandContext, org_ref: str, team_ref: str | None, user_ref: str
    ) -> tuple[Any, list[Any]]:
        chain = self.locate(ctx, Action.READ, org_ref, team_ref)
        user = self.resolve.user(user_ref, include_deleted=True)
        kind = TeamMembership if chain.team else OrganizationMember
        scope = chain.team or chain.org
        member = self.store.find(membership_id(scope.id, user.id), kind)
        if member is None:
            raise NotFound("membership not found")
        return member, self.store.history(member.id)

    def _live_member(self, kind: type, member_id: UUID) -> Any:
        member = self.store.find(member_id, kind)
        if member is None or member.is_deleted:
            raise NotFound("membership not found")
        return member

    def _regrant(
        self, ctx: CommandContext, member: Any, role: str, expected_version: int | None
    ) -> CommandResult:
        # A removed membership reads as absent (404), so adding it again needs no version.
        if expected_version is None and not member.is_deleted:
            raise VersionRequired('the membership exists: send If-Match: "<version>" to change it')
        member.check_version(expected_version)
        meta = ctx.meta(member.organization_id)
        if member.is_deleted:
            member.restore(meta=meta)
        if member.role != role:
            member.update(changes={"role": role}, meta=meta)
        if not member.pending_events:
            return CommandResult.of(member, 0)
        return CommandResult.of(member, self.store.record(member))

    def _check_may_grant(self, ctx: CommandContext, org: Organization, role: OrgRole) -> None:
        if role is OrgRole.OWNER and not ctx.is_platform_admin:
            if self.access.org_role(ctx.actor_id, org) is not OrgRole.OWNER:
                raise PermissionDenied("only an owner may grant or remove the owner role")

    # -- groups ---------------------------------------------------------------------------
    def define_group(
        self, ctx: CommandContext, org_ref: str, name: str, role: str, slug: str | None = None
    ) -> CommandResult:
        org = self.locate(ctx, Action.ORG_MEMBERS, org_ref).org
        name = validate_name(name)
        grant = parse_org_role(role)
        self._check_may_grant(ctx, org, grant)
        group_id = uuid4()
        org.define_group(group_id, name, slug_for(name, slug), grant, meta=ctx.meta(org.id))
        return CommandResult(group_id, org.version, self.store.record(org), org)

    def change_group(
        self,
        ctx: CommandContext,
        org_ref: str,
        group_ref: str,
        changes: dict[str, Any],
        expected_version: int | None = None,
    ) -> CommandResult:
        org = self.locate(ctx, Action.ORG_MEMBERS, org_ref).org
        org.check_version(expected_version)
        group_id, _ = org.group(group_ref)
        clean: dict[str, Any] = {}
        if "name" in changes:
            clean["name"] = validate_name(changes["name"])
        if "slug" in changes:
            clean["slug"] = validate_slug(changes["slug"])
        if "role" in changes:
            clean["role"] = parse_org_role(changes["role"]).value
            self._check_may_grant(ctx, org, OrgRole(clean["role"]))
        if clean:
            org.change_group(group_id, clean, meta=ctx.meta(org.id))
            return CommandResult(UUID(group_id), org.version, self.store.record(org), org)
        return CommandResult(UUID(group_id), org.version, 0, org)

    def remove_group(
        self,
        ctx: CommandContext,
        org_ref: str,
        group_ref: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        org = self.locate(ctx, Action.ORG_MEMBERS, org_ref).org
        org.check_version(expected_version)
        group_id, group = org.group(group_ref)
        self._check_may_grant(ctx, org, OrgRole(group["role"]))
        org.remove_group(group_id=group_id, meta=ctx.meta(org.id))
        return CommandResult(UUID(group_id), org.version, self.store.record(org), org)

    def add_group_member(
        self, ctx: CommandContext, org_ref: str, group_ref: str, user_ref: str
    ) -> CommandResult:
        org = self.locate(ctx, Action.ORG_MEMBERS, org_ref).org
        group_id, group = org.group(group_ref)
        self._check_may_grant(ctx, org, OrgRole(group["role"]))
        user = self.resolve.user(user_ref)
        added = org.add_group_member(group_id, user.id, meta=ctx.meta(org.id))
        position = self.store.record(org) if added else 0
        return CommandResult(UUID(group_id), org.version, position, org)

    def remove_group_member(
        self,
        ctx: CommandContext,
        org_ref: str,
        group_ref: str,
        user_ref: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        org = self.locate(ctx, Action.ORG_MEMBERS, org_ref).org
        org.check_version(expected_version)
        group_id, group = org.group(group_ref)
        self._check_may_grant(ctx, org, OrgRole(group["role"]))
        user = self.resolve.user(user_ref, include_deleted=True)
        org.remove_group_member(group_id, user.id, meta=ctx.meta(org.id))
        return CommandResult(UUID(group_id), org.version, self.store.record(org), org)
