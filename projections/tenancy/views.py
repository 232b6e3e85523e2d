"""Reads of the tenancy read model. Another tenant's rows look exactly like missing rows.

`ScopesView` resolves a path (org, team, workspace, project) as the viewer may see it; the
other views read what lies inside a scope once it is resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql

from projections.engine.entity_rows import EntityTable
from projections.reading.paging import Page
from projections.reading.rows import as_uuid, fetch_one, fetch_page, list_rows
from projections.reading.viewer import NotVisible, Viewer
from projections.tenancy import tables

SCHEMA_NAME = "rm_tenancy"
SCHEMA = sql.Identifier(SCHEMA_NAME)


async def _by_ref(
    conn: AsyncConnection,
    table: str,
    ref: str,
    parent_col: str | None,
    parent_id: Any,
    include_deleted: bool,
) -> dict:
    guid = as_uuid(ref)
    where = [sql.SQL("guid = %s") if guid else sql.SQL("slug = %s")]
    params: list = [guid or ref]
    if parent_col:
        where.append(sql.SQL("{} = %s").format(sql.Identifier(parent_col)))
        params.append(parent_id)
    query = sql.SQL("SELECT * FROM {}.{} WHERE {}").format(
        SCHEMA, sql.Identifier(table), sql.SQL(" AND ").join(where)
    )
    row = await fetch_one(conn, query, params)
    if row is None or (row["deleted_at"] is not None and not include_deleted):
        raise NotVisible(f"{table[:-1]} {ref!r} not found")
    return row


@dataclass
class Located:
    org: dict
    team: dict | None = None
    workspace: dict | None = None
    project: dict | None = None

    @property
    def leaf(self) -> dict:
        return self.project or self.workspace or self.team or self.org


class ScopesView:
    async def get_org_role(self, conn: AsyncConnection, viewer: Viewer, org_id: UUID) -> str | None:
        row = await fetch_one(
            conn,
            sql.SQL(
                "SELECT role FROM {s}.org_members WHERE organization_id = %s AND user_id = %s "
                "AND deleted_at IS NULL UNION ALL SELECT g.role FROM {s}.group_members m "
                "JOIN {s}.groups g ON g.guid = m.group_id "
                "WHERE m.organization_id = %s AND m.user_id = %s LIMIT 1"
            ).format(s=SCHEMA),
            [org_id, viewer.user_id, org_id, viewer.user_id],
        )
        return row["role"] if row else None

    async def get_scope(
        self,
        conn: AsyncConnection,
        viewer: Viewer,
        org: str,
        team: str | None = None,
        workspace: str | None = None,
        project: str | None = None,
        *,
        include_deleted_leaf: bool,
    ) -> Located:
        """Each level by guid or slug within its parent; the leaf may be a deleted one."""
        depth = sum(r is not None for r in (team, workspace, project))
        found = Located(
            org=await _by_ref(
                conn, "organizations", org, None, None, include_deleted_leaf and depth == 0
            )
        )
        if not viewer.is_platform_admin and (
            await self.get_org_role(conn, viewer, found.org["guid"]) is None
        ):
            raise NotVisible(f"organization {org!r} not found")
        levels = (
            (team, "teams", "organization_id", "team"),
            (workspace, "workspaces", "team_id", "workspace"),
            (project, "projects", "workspace_id", "project"),
        )
        parent = found.org
        for level, (ref, table, parent_col, attr) in enumerate(levels, start=1):
            if ref is None:
                break
            deleted_ok = include_deleted_leaf and depth == level
            parent = await _by_ref(conn, table, ref, parent_col, parent["guid"], deleted_ok)
            setattr(found, attr, parent)
        return found

    async def get_org_id(self, conn: AsyncConnection, viewer: Viewer, org: str) -> UUID:
        """The organization's guid, if the viewer may read inside it."""
        located = await self.get_scope(conn, viewer, org, include_deleted_leaf=False)
        return located.org["guid"]


class OrganizationsView:
    async def list_organizations(
        self, conn: AsyncConnection, viewer: Viewer, page: Page, show_deleted: bool
    ) -> tuple[list[dict], str | None]:
        """The organizations the viewer belongs to (every one, for a platform admin)."""
        if viewer.is_platform_admin:
            return await list_rows(conn, SCHEMA_NAME, "organizations", {}, page, show_deleted)
        query = sql.SQL(
            "SELECT o.* FROM {s}.organizations o WHERE o.created_position > %s "
            "AND (%s OR o.deleted_at IS NULL) AND ("
            "EXISTS (SELECT 1 FROM {s}.org_members m WHERE m.organization_id = o.guid "
            "AND m.user_id = %s AND m.deleted_at IS NULL) OR "
            "EXISTS (SELECT 1 FROM {s}.group_members g WHERE g.organization_id = o.guid "
            "AND g.user_id = %s)) ORDER BY o.created_position LIMIT %s"
        ).format(s=SCHEMA)
        params = [page.after, show_deleted, viewer.user_id, viewer.user_id]
        return await fetch_page(conn, query, params, page)

    async def list_organizations_of(
        self, conn: AsyncConnection, user_id: UUID, page: Page
    ) -> tuple[list[dict], str | None]:
        """The organizations a user holds a role in (directly or through a group), with
        those roles: for the user, whatever else a platform admin may see."""
        query = sql.SQL(
            "SELECT o.*, r.roles FROM {s}.organizations o CROSS JOIN LATERAL ("
            "SELECT array_agg(role ORDER BY role) AS roles FROM ("
            "SELECT m.role FROM {s}.org_members m WHERE m.organization_id = o.guid "
            "AND m.user_id = %s AND m.deleted_at IS NULL UNION ALL SELECT g.role "
            "FROM {s}.group_members gm JOIN {s}.groups g ON g.guid = gm.group_id "
            "WHERE gm.organization_id = o.guid AND gm.user_id = %s) held) r "
            "WHERE o.created_position > %s AND o.deleted_at IS NULL AND r.roles IS NOT NULL "
            "ORDER BY o.created_position LIMIT %s"
        ).format(s=SCHEMA)
        return await fetch_page(conn, query, [user_id, user_id, page.after], page)

    async def list_groups(self, conn: AsyncConnection, org_id: UUID) -> list[dict]:
        cur = await conn.execute(
            sql.SQL(
                "SELECT g.*, coalesce(array_agg(m.user_id) FILTER (WHERE m.user_id IS NOT NULL),"
                " '{{}}') AS members FROM {s}.groups g LEFT JOIN {s}.group_members m "
                "ON m.group_id = g.guid WHERE g.organization_id = %s GROUP BY g.guid "
                "ORDER BY g.created_position"
            ).format(s=SCHEMA),
            [org_id],
        )
        return list(await cur.fetchall())


class ChildrenView:
    """The rows of one table under a parent scope (teams of an org, projects of a workspace)."""

    def __init__(self, table: EntityTable, parent_column: str) -> None:
        self._table = table.table
        self._parent = parent_column

    async def _list_children(
        self, conn: AsyncConnection, parent_id: UUID, page: Page, show_deleted: bool
    ) -> tuple[list[dict], str | None]:
        filters = {self._parent: parent_id}
        return await list_rows(conn, SCHEMA_NAME, self._table, filters, page, show_deleted)


class TeamsView(ChildrenView):
    def __init__(self) -> None:
        super().__init__(tables.TEAMS, "organization_id")

    list_teams = ChildrenView._list_children


class WorkspacesView(ChildrenView):
    def __init__(self) -> None:
        super().__init__(tables.WORKSPACES, "team_id")

    list_workspaces = ChildrenView._list_children


class ProjectsView(ChildrenView):
    def __init__(self) -> None:
        super().__init__(tables.PROJECTS, "workspace_id")

    list_projects = ChildrenView._list_children


class MembersView(ChildrenView):
    """The memberships granted on one kind of scope (org, team, workspace or project)."""

    list_members = ChildrenView._list_children

    async def get_member(
        self, conn: AsyncConnection, scope_id: UUID, user_ref: str, include_deleted: bool = False
    ) -> dict:
        """By the user's guid or the membership's slug."""
        guid = as_uuid(user_ref)
        column = sql.SQL("user_id") if guid else sql.SQL("slug")
        row = await fetch_one(
            conn,
            sql.SQL("SELECT * FROM {}.{} WHERE {} = %s AND {} = %s").format(
                SCHEMA, sql.Identifier(self._table), sql.Identifier(self._parent), column
            ),
            [scope_id, guid or user_ref],
        )
        if row is None or (row["deleted_at"] is not None and not include_deleted):
            raise NotVisible(f"member {user_ref!r} not found")
        return row


scopes = ScopesView()
organizations = OrganizationsView()
teams = TeamsView()
workspaces = WorkspacesView()
projects = ProjectsView()
org_members = MembersView(tables.ORG_MEMBERS, "organization_id")
team_members = MembersView(tables.TEAM_MEMBERS, "team_id")
workspace_members = MembersView(tables.WORKSPACE_MEMBERS, "workspace_id")
project_members = MembersView(tables.PROJECT_MEMBERS, "project_id")
