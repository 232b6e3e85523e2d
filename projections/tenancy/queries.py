"""Reads of the tenancy read model. Another tenant's rows look exactly like missing rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql

from projections.reading.paging import Page, next_token
from projections.reading.viewer import NotVisible, Viewer

SCHEMA = sql.Identifier("rm_tenancy")


def _as_uuid(ref: str) -> UUID | None:
    try:
        return UUID(ref)
    except ValueError:
        return None


async def _fetch_one(conn: AsyncConnection, query: sql.Composable, params: list) -> dict | None:
    cur = await conn.execute(query, params)
    return await cur.fetchone()  # type: ignore[return-value]


async def _by_ref(
    conn: AsyncConnection,
    table: str,
    ref: str,
    parent_col: str | None,
    parent_id: Any,
    include_deleted: bool,
) -> dict:
    guid = _as_uuid(ref)
    where = [sql.SQL("guid = %s") if guid else sql.SQL("slug = %s")]
    params: list = [guid or ref]
    if parent_col:
        where.append(sql.SQL("{} = %s").format(sql.Identifier(parent_col)))
        params.append(parent_id)
    query = sql.SQL("SELECT * FROM {}.{} WHERE {}").format(
        SCHEMA, sql.Identifier(table), sql.SQL(" AND ").join(where)
    )
    row = await _fetch_one(conn, query, params)
    if row is None or (row["deleted_at"] is not None and not include_deleted):
        raise NotVisible(f"{table[:-1]} {ref!r} not found")
    return row


async def org_role_of(conn: AsyncConnection, viewer: Viewer, org_id: UUID) -> str | None:
    row = await _fetch_one(
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


@dataclass
class Located:
    org: dict
    team: dict | None = None
    workspace: dict | None = None
    project: dict | None = None

    @property
    def leaf(self) -> dict:
        return self.project or self.workspace or self.team or self.org


async def locate(
    conn: AsyncConnection,
    viewer: Viewer,
    org: str,
    team: str | None = None,
    workspace: str | None = None,
    project: str | None = None,
    *,
    include_deleted_leaf: bool,
) -> Located:
    depth = sum(r is not None for r in (team, workspace, project))
    found = Located(
        org=await _by_ref(
            conn, "organizations", org, None, None, include_deleted_leaf and depth == 0
        )
    )
    if not viewer.is_platform_admin and await org_role_of(conn, viewer, found.org["guid"]) is None:
        raise NotVisible(f"organization {org!r} not found")
    if team is not None:
        found.team = await _by_ref(
            conn,
            "teams",
            team,
            "organization_id",
            found.org["guid"],
            include_deleted_leaf and depth == 1,
        )
    if workspace is not None and found.team is not None:
        found.workspace = await _by_ref(
            conn,
            "workspaces",
            workspace,
            "team_id",
            found.team["guid"],
            include_deleted_leaf and depth == 2,
        )
    if project is not None and found.workspace is not None:
        found.project = await _by_ref(
            conn,
            "projects",
            project,
            "workspace_id",
            found.workspace["guid"],
            include_deleted_leaf and depth == 3,
        )
    return found


async def list_rows(
    conn: AsyncConnection, table: str, filters: dict[str, Any], page: Page, show_deleted: bool
) -> tuple[list[dict], str | None]:
    where = [sql.SQL("created_position > %s")]
    params: list = [page.after]
    for column, value in filters.items():
        where.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
        params.append(value)
    if not show_deleted:
        where.append(sql.SQL("deleted_at IS NULL"))
    query = sql.SQL("SELECT * FROM {}.{} WHERE {} ORDER BY created_position LIMIT %s").format(
        SCHEMA, sql.Identifier(table), sql.SQL(" AND ").join(where)
    )
    cur = await conn.execute(query, [*params, page.size + 1])
    rows = list(await cur.fetchall())
    return rows, next_token(rows, page)


async def list_organizations(
    conn: AsyncConnection, viewer: Viewer, page: Page, show_deleted: bool
) -> tuple[list[dict], str | None]:
    if viewer.is_platform_admin:
        return await list_rows(conn, "organizations", {}, page, show_deleted)
    query = sql.SQL(
        "SELECT o.* FROM {s}.organizations o WHERE o.created_position > %s "
        "AND (%s OR o.deleted_at IS NULL) AND ("
        "EXISTS (SELECT 1 FROM {s}.org_members m WHERE m.organization_id = o.guid "
        "AND m.user_id = %s AND m.deleted_at IS NULL) OR "
        "EXISTS (SELECT 1 FROM {s}.group_members g WHERE g.organization_id = o.guid "
        "AND g.user_id = %s)) ORDER BY o.created_position LIMIT %s"
    ).format(s=SCHEMA)
    cur = await conn.execute(
        query, [page.after, show_deleted, viewer.user_id, viewer.user_id, page.size + 1]
    )
    rows = list(await cur.fetchall())
    return rows, next_token(rows, page)


async def list_groups(conn: AsyncConnection, org_id: UUID) -> list[dict]:
    cur = await conn.execute(
        sql.SQL(
            "SELECT g.*, coalesce(array_agg(m.user_id) FILTER (WHERE m.user_id IS NOT NULL), "
            "'{{}}') AS members FROM {s}.groups g LEFT JOIN {s}.group_members m "
            "ON m.group_id = g.guid WHERE g.organization_id = %s GROUP BY g.guid "
            "ORDER BY g.created_position"
        ).format(s=SCHEMA),
        [org_id],
    )
    return list(await cur.fetchall())


async def get_member(
    conn: AsyncConnection,
    table: str,
    scope_col: str,
    scope_id: UUID,
    user_ref: str,
    include_deleted: bool = False,
) -> dict:
    guid = _as_uuid(user_ref)
    column = sql.SQL("user_id") if guid else sql.SQL("slug")
    row = await _fetch_one(
        conn,
        sql.SQL("SELECT * FROM {}.{} WHERE {} = %s AND {} = %s").format(
            SCHEMA, sql.Identifier(table), sql.Identifier(scope_col), column
        ),
        [scope_id, guid or user_ref],
    )
    if row is None or (row["deleted_at"] is not None and not include_deleted):
        raise NotVisible(f"member {user_ref!r} not found")
    return row


async def list_orgs_of(
    conn: AsyncConnection, user_id: UUID, page: Page
) -> tuple[list[dict], str | None]:
    """The organizations a user holds a role in (directly or through a group), with those
    roles: for the user, whatever else a platform admin may see."""
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
    cur = await conn.execute(query, [user_id, user_id, page.after, page.size + 1])
    rows = list(await cur.fetchall())
    return rows, next_token(rows, page)
