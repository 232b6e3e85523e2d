"""Reads of the workflow templates read model, with versions as the catalog's (list, one
by number or `latest`)."""

from __future__ import annotations

from uuid import UUID

from psycopg import AsyncConnection

from domain.workflows.template import empty_draft
from projections.catalog.views import Listed, VersionedView
from projections.reading.paging import Page
from projections.workflows import template_tables as tables

SCHEMA_NAME = "rm_workflow_templates"


def _shaped(row: dict) -> dict:
    content = row["content"]
    return {
        **row,
        "draft": row["draft"] or empty_draft(),
        "is_published": row["current_version"] > 0,
        "default_config": content["default_config"] if content else None,
    }


class WorkflowTemplatesView(VersionedView):
    def __init__(self) -> None:
        super().__init__(
            tables.TEMPLATES,
            "workflow template",
            tables.VERSIONS.table,
            tables.VERSIONS.key,
            SCHEMA_NAME,
        )

    async def get_template(
        self, conn: AsyncConnection, org_id: UUID, ref: str, include_deleted: bool = False
    ) -> dict:
        return _shaped(await self._get(conn, org_id, ref, include_deleted))

    async def list_templates(
        self,
        conn: AsyncConnection,
        org_id: UUID,
        page: Page,
        show_deleted: bool = False,
        category: str | None = None,
        q: str | None = None,
    ) -> Listed:
        rows, token = await self._list(conn, org_id, page, show_deleted, category=category, q=q)
        return [_shaped(r) for r in rows], token


workflow_templates = WorkflowTemplatesView()
