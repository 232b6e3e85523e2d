"""Use cases of the tenancy hierarchy: load, check permission, call the aggregate, record."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import DomainEventProtocol

from domain.core.aggregate import CoreAggregate
from domain.core.context import CommandContext, CommandResult
from domain.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    Unauthenticated,
)
from domain.core.values import slug_for, validate_description, validate_name
from domain.identity.user import User
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tenancy.entities import delete_entity, undelete_entity, update_entity
from domain.tenancy.hierarchy import Project, Team, Workspace, validate_settings
from domain.tenancy.membership import OrganizationMember, membership_id
from domain.tenancy.organization import Organization, validate_website
from domain.tenancy.roles import Action, Role
from domain.tenancy.scope import TenancyScope

# By depth of the path: org, team, workspace, project.
_UPDATE_ACTION = (
    Action.ORG_UPDATE,
    Action.TEAM_UPDATE,
    Action.WORKSPACE_WRITE,
    Action.PROJECT_WRITE,
)
_DELETE_ACTION = (
    Action.ORG_DELETE,
    Action.TEAM_DELETE,
    Action.WORKSPACE_WRITE,
    Action.PROJECT_DELETE,
)


# A path down the hierarchy: the org's ref, then team, workspace and project refs (or None).
Path = tuple[str, *tuple[str | None, ...]]


def _depth(refs: Path) -> int:
    return len([r for r in refs if r is not None]) - 1


def _claim_hint(kind: str, name: object, slug: str | None) -> tuple[str, str] | None:
    """The slug a create will claim, to read its claim with the path (validated later)."""
    try:
        return kind, slug_for(validate_name(name), slug)
    except DomainError:
        return None


@with_read_sessions
class HierarchyService:
    """The tenancy hierarchy: organizations, teams, workspaces, projects."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.scope = TenancyScope(store)

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
            role=Role.OWNER.value,
            meta=ctx.meta(org.id),
        )
        claim = self.store.slugs.claim(ctx, org.id, "org", "", slug, org.id)
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
        claiming = _claim_hint("team", name, slug)
        org = self.scope.locate(ctx, Action.TEAM_CREATE, org_ref, claiming=claiming).org
        name = validate_name(name)
        slug = slug_for(name, slug)
        team = Team(
            organization_id=org.id,
            name=name,
            slug=slug,
            description=validate_description(description),
            meta=ctx.meta(org.id),
        )
        claim = self.store.slugs.claim(ctx, org.id, "team", org.id, slug, team.id)
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
        claiming = _claim_hint("workspace", name, slug)
        chain = self.scope.locate(ctx, Action.WORKSPACE_WRITE, org_ref, team_ref, claiming=claiming)
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
        claim = self.store.slugs.claim(ctx, chain.org.id, "workspace", chain.team.id, slug, ws.id)
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
        settings: dict[str, Any] | None = None,
    ) -> CommandResult:
        claiming = _claim_hint("project", name, slug)
        chain = self.scope.locate(
            ctx, Action.PROJECT_WRITE, org_ref, team_ref, ws_ref, claiming=claiming
        )
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
        claim = self.store.slugs.claim(
            ctx, chain.org.id, "project", chain.workspace.id, slug, project.id
        )
        return CommandResult.of(project, self.store.record(project, claim))

    # -- any entity of the hierarchy ------------------------------------------------------
    def update(
        self,
        ctx: CommandContext,
        refs: Path,
        changes: dict[str, Any],
        expected_version: int | None,
    ) -> CommandResult:
        chain = self.scope.locate(ctx, _UPDATE_ACTION[_depth(refs)], *refs)
        return update_entity(self.store, ctx, chain.leaf, changes, expected_version)

    def delete(
        self, ctx: CommandContext, refs: Path, expected_version: int | None
    ) -> CommandResult:
        chain = self.scope.locate(ctx, _DELETE_ACTION[_depth(refs)], *refs)
        return delete_entity(self.store, ctx, chain.leaf, expected_version)

    def undelete(
        self, ctx: CommandContext, refs: Path, expected_version: int | None
    ) -> CommandResult:
        chain = self.scope.locate(
            ctx, _DELETE_ACTION[_depth(refs)], *refs, include_deleted_leaf=True
        )
        return undelete_entity(self.store, ctx, chain.leaf, expected_version)

    @reads_only
    def history(
        self, ctx: CommandContext, refs: Path
    ) -> tuple[CoreAggregate, list[DomainEventProtocol[UUID]]]:
        chain = self.scope.locate(ctx, Action.HISTORY_READ, *refs, include_deleted_leaf=True)
        return chain.leaf, self.store.history(chain.leaf.id)
