"""Reads of the infrastructure read model: an organization's agent definitions (with their
versions, as skills and configs) and the runtime targets of a scope."""

from __future__ import annotations

from uuid import UUID

from psycopg import AsyncConnection, sql

from projections.catalog.views import CatalogView, Listed, VersionedView
from projections.infra import tables
from projections.reading.paging import Page
from projections.reading.rows import as_uuid, fetch_one, list_rows
from projections.reading.viewer import NotVisible

SCHEMA_NAME = "rm_infra"


class AgentDefinitionsView(VersionedView):
    def __init__(self) -> None:
        super().__init__(
            tables.AGENT_DEFINITIONS,
            "agent definition",
            "agent_definition_versions",
            "agent_definition_id",
            SCHEMA_NAME,
        )

    get_agent_definition = CatalogView._get
    list_agent_definitions = CatalogView._list


class RuntimeTargetsView:
    async def get_target(
        self, conn: AsyncConnection, scope_id: UUID, ref: str, include_deleted: bool = False
    ) -> dict:
        guid = as_uuid(ref)
        query = sql.SQL("SELECT * FROM {} WHERE {} = %s AND scope_id = %s").format(
            sql.Identifier(SCHEMA_NAME, "runtime_targets"),
            sql.Identifier("guid" if guid else "slug"),
        )
        row = await fetch_one(conn, query, [guid or ref, scope_id])
        if row is None or (row["deleted_at"] is not None and not include_deleted):
            raise NotVisible(f"runtime target {ref!r} not found")
        return row

    async def list_targets(
        self, conn: AsyncConnection, scope_id: UUID, page: Page, show_deleted: bool = False
    ) -> Listed:
        return await list_rows(
            conn, SCHEMA_NAME, "runtime_targets", {"scope_id": scope_id}, page, show_deleted
        )


agent_definitions = AgentDefinitionsView()
runtime_targets = RuntimeTargetsView()
