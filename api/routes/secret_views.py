"""Secrets as wire bodies, their canonical paths, and the three scopes they live in."""

from __future__ import annotations

from typing import Any

from api.views import aggregate_row
from domain.secrets.scope import ScopeRefs
from domain.secrets.secret import Secret

ORG = "/orgs/{org}/secrets"
TEAM = "/orgs/{org}/teams/{team}/secrets"
WORKSPACE = "/orgs/{org}/teams/{team}/workspaces/{ws}/secrets"


def org_scope(org: str) -> ScopeRefs:
    return ScopeRefs(org)


def team_scope(org: str, team: str) -> ScopeRefs:
    return ScopeRefs(org, team)


def workspace_scope(org: str, team: str, ws: str) -> ScopeRefs:
    return ScopeRefs(org, team, ws)


# (path of the collection, the dependency reading its scope from the path)
SCOPES = ((ORG, org_scope), (TEAM, team_scope), (WORKSPACE, workspace_scope))

FIELDS = (
    "organization_id",
    "team_id",
    "workspace_id",
    "category",
    "backend",
    "path_or_arn",
    "inherit",
    "latest_version",
)


def describe_secret(secret: Secret) -> dict[str, Any]:
    return aggregate_row(secret, *FIELDS)


def secret_path(secret: Secret) -> str:
    path = f"/v1/orgs/{secret.organization_id}"
    if secret.team_id:
        path += f"/teams/{secret.team_id}"
    if secret.workspace_id:
        path += f"/workspaces/{secret.workspace_id}"
    return f"{path}/secrets/{secret.id}"
