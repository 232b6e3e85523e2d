"""Requests and responses of organizations, teams, workspaces, projects and members."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictBool

from schemas.common import SLUG, Description, Name, Request, Resource

# The role ladder (README "Roles"); `member` is the legacy value kept for existing grants.
OrgRoleName = Literal["owner", "admin", "maintainer", "operator", "member", "auditor", "viewer"]
TeamRoleName = Literal["admin", "maintainer", "operator", "member", "auditor", "viewer"]
ScopeRoleName = Literal["admin", "maintainer", "operator", "auditor", "viewer"]


class OrganizationCreate(Request):
    name: str = Name
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str = Description
    website: str | None = Field(default=None, max_length=2048)


class OrganizationPatch(Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str | None = Field(default=None, max_length=4000)
    website: str | None = Field(default=None, max_length=2048)


class Organization(Resource):
    website: str | None = None
    groups: list[Group] = []


class TeamCreate(Request):
    name: str = Name
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str = Description


class TeamPatch(Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str | None = Field(default=None, max_length=4000)


class Team(Resource):
    organization_id: UUID


class WorkspaceCreate(TeamCreate):
    is_active: StrictBool = True


class WorkspacePatch(TeamPatch):
    is_active: StrictBool | None = None


class Workspace(Resource):
    organization_id: UUID
    team_id: UUID
    is_active: bool


class ProjectCreate(TeamCreate):
    settings: dict[str, Any] = Field(default_factory=dict)


class ProjectPatch(TeamPatch):
    settings: dict[str, Any] | None = None


class Project(Resource):
    organization_id: UUID
    team_id: UUID
    workspace_id: UUID
    settings: dict[str, Any]


class OrgMemberPut(Request):
    role: OrgRoleName


class TeamMemberPut(Request):
    role: TeamRoleName


class ScopeMemberPut(Request):
    """A role on a workspace or a project."""

    role: ScopeRoleName


class OrgMember(Resource):
    organization_id: UUID
    user_id: UUID
    role: str


class TeamMember(Resource):
    organization_id: UUID
    team_id: UUID
    user_id: UUID
    role: str


class WorkspaceMember(TeamMember):
    workspace_id: UUID


class ProjectMember(WorkspaceMember):
    project_id: UUID


class GroupCreate(Request):
    name: str = Name
    slug: str | None = Field(default=None, pattern=SLUG)
    role: OrgRoleName


class GroupPatch(Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    role: OrgRoleName | None = None


class Group(BaseModel):
    guid: UUID
    slug: str
    name: str
    role: str
    members: list[UUID] = []


class GroupMemberAdd(Request):
    user: str = Field(min_length=1, max_length=200, description="user guid or slug")


Organization.model_rebuild()


class MyOrganization(Resource):
    """An organization the caller belongs to, with the org roles it holds there."""

    website: str | None = None
    roles: list[str]


class OrgLeft(BaseModel):
    organization_id: UUID
    user_id: UUID
