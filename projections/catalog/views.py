"""Reads of the catalog read model, filtered by owner: an organization's catalog is read
once the viewer may read inside it (see tenancy's `ScopesView.get_org_id`; another tenant's
rows look exactly like missing rows); platform tools (no owner) are visible to every
authenticated user."""

from __future__ import annotations

import re
from uuid import UUID

from psycopg import AsyncConnection, sql

from domain.catalog.diff import diff_json
from projections.catalog import tables
from projections.engine.entity_rows import EntityTable
from projections.reading.paging import Page
from projections.reading.rows import as_uuid, fetch_page
from projections.reading.viewer import NotVisible

# ASCII digits only: str.isdigit() also takes "²" (int() then fails) and "١" (read as 1).
ASCII_NUMBER = re.compile(r"[0-9]{1,9}")
SCHEMA = sql.Identifier("rm_catalog")

Listed = tuple[list[dict], str | None]


def _owner(org_id: UUID | None) -> tuple[sql.Composable, list]:
    if org_id is None:
        return sql.SQL("organization_id IS NULL"), []
    return sql.SQL("organization_id = %s"), [org_id]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class CatalogView:
    """The rows of one catalog table, each owned by an organization or by the platform."""

    def __init__(
        self, table: EntityTable, what: str, schema: str | sql.Identifier = SCHEMA
    ) -> None:
        self._table = table.table
        self._what = what  # for "… not found"
        # Another read model's versioned rows (EventRoutes, agent definitions) reuse this.
        self._schema = schema if isinstance(schema, sql.Identifier) else sql.Identifier(schema)

    async def _get(
        self,
        conn: AsyncConnection,
        org_id: UUID | None,
        ref: str,
        include_deleted: bool = False,
    ) -> dict:
        guid = as_uuid(ref)
        owner, params = _owner(org_id)
        query = sql.SQL("SELECT * FROM {}.{} WHERE {} = %s AND {}").format(
            self._schema,
            sql.Identifier(self._table),
            sql.Identifier("guid" if guid else "slug"),
            owner,
        )
        cur = await conn.execute(query, [guid or ref, *params])
        row = await cur.fetchone()
        if row is None or (row["deleted_at"] is not None and not include_deleted):
            raise NotVisible(f"{self._what} {ref!r} not found")
        return row  # type: ignore[return-value]

    async def _list(
        self,
        conn: AsyncConnection,
        org_id: UUID | None,
        page: Page,
        show_deleted: bool = False,
        category: str | None = None,
        q: str | None = None,
    ) -> Listed:
        owner, params = _owner(org_id)
        where = [sql.SQL("created_position > %s"), owner]
        params = [page.after, *params]
        if not show_deleted:
            where.append(sql.SQL("deleted_at IS NULL"))
        if category is not None:
            where.append(sql.SQL("category = %s"))
            params.append(category)
        if q:
            where.append(sql.SQL("(name ILIKE %s OR slug ILIKE %s)"))
            params += [_like(q), _like(q)]
        query = sql.SQL("SELECT * FROM {}.{} WHERE {} ORDER BY created_position LIMIT %s").format(
            self._schema, sql.Identifier(self._table), sql.SQL(" AND ").join(where)
        )
        return await fetch_page(conn, query, params, page)


def _with_current(row: dict, current_version: int) -> dict:
    return {**row, "is_current": row["version_number"] == current_version}


class VersionedView(CatalogView):
    """A catalog table whose rows have numbered versions, one of them current."""

    def __init__(
        self,
        table: EntityTable,
        what: str,
        versions: str,
        key: str,
        schema: str | sql.Identifier = SCHEMA,
    ) -> None:
        super().__init__(table, what, schema)
        self._versions = sql.Identifier(versions)
        self._key = sql.Identifier(key)

    async def list_versions(self, conn: AsyncConnection, entity: dict, page: Page) -> Listed:
        query = sql.SQL(
            "SELECT * FROM {}.{} WHERE {} = %s AND created_position > %s "
            "ORDER BY created_position LIMIT %s"
        ).format(self._schema, self._versions, self._key)
        rows, token = await fetch_page(conn, query, [entity["guid"], page.after], page)
        return [_with_current(r, entity["current_version"]) for r in rows], token

    async def get_version(self, conn: AsyncConnection, entity: dict, number: str) -> dict:
        """`number` is a version number or `latest` (the current version)."""
        what = f"{self._what} version {number}"
        if number == "latest":
            wanted = entity["current_version"]
        elif ASCII_NUMBER.fullmatch(number):
            wanted = int(number)
        else:
            raise NotVisible(f"{what} not found")
        query = sql.SQL("SELECT * FROM {}.{} WHERE {} = %s AND version_number = %s").format(
            self._schema, self._versions, self._key
        )
        cur = await conn.execute(query, [entity["guid"], wanted])
        row = await cur.fetchone()
        if row is None:
            raise NotVisible(f"{what} not found")
        return _with_current(row, entity["current_version"])  # type: ignore[arg-type]

    async def diff(self, conn: AsyncConnection, entity: dict, old: str, new: str) -> dict:
        """Two versions' `content` compared: {from_version, to_version, changes}, each
        change {op, path (JSON pointer), old, new}."""
        before = await self.get_version(conn, entity, old)
        after = await self.get_version(conn, entity, new)
        return {
            "from_version": before["version_number"],
            "to_version": after["version_number"],
            "changes": diff_json(before["content"], after["content"]),
        }


class SkillsView(VersionedView):
    def __init__(self) -> None:
        super().__init__(tables.SKILLS, "skill", "skill_versions", "skill_id")

    get_skill = CatalogView._get
    list_skills = CatalogView._list


class ConfigsView(VersionedView):
    def __init__(self) -> None:
        super().__init__(tables.CONFIGS, "config", "config_versions", "config_id")

    get_config = CatalogView._get
    list_configs = CatalogView._list


class ConfigCategoriesView(CatalogView):
    def __init__(self) -> None:
        super().__init__(tables.CATEGORIES, "config category")

    async def get_category(
        self, conn: AsyncConnection, org_id: UUID, ref: str, include_deleted: bool = False
    ) -> dict:
        return await self._get(conn, org_id, ref, include_deleted)

    async def list_categories(
        self, conn: AsyncConnection, org_id: UUID, page: Page, show_deleted: bool = False
    ) -> Listed:
        return await self._list(conn, org_id, page, show_deleted)


class ToolsView(CatalogView):
    """An organization's own tools, or the platform's (`org_id` None)."""

    def __init__(self) -> None:
        super().__init__(tables.TOOLS, "tool")

    async def get_tool(
        self, conn: AsyncConnection, org_id: UUID | None, ref: str, include_deleted: bool = False
    ) -> dict:
        return await self._get(conn, org_id, ref, include_deleted)

    async def list_tools(
        self,
        conn: AsyncConnection,
        org_id: UUID | None,
        page: Page,
        show_deleted: bool = False,
        q: str | None = None,
    ) -> Listed:
        return await self._list(conn, org_id, page, show_deleted, q=q)


skills = SkillsView()
configs = ConfigsView()
config_categories = ConfigCategoriesView()
tools = ToolsView()
