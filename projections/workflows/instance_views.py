"""Reads of the workflow-instances read model: a project's instances (filtered by template,
status and time, paged), one instance, and its timeline: its events and its stage
executions', each stage task's current status, and the routed signals it received (which
route, which event, when)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql

from domain.workflows.instance import instance_id_of
from projections.reading.paging import Page
from projections.reading.rows import fetch_one, fetch_page
from projections.reading.viewer import NotVisible

SCHEMA = sql.Identifier("rm_workflow_instances")
TASKS = sql.Identifier("rm_tasks")
ROUTING = sql.Identifier("rm_routing")
Listed = tuple[list[dict], str | None]


@dataclass(frozen=True)
class InstanceFilter:
    template_id: UUID | None = None
    status: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None

    def where(self) -> tuple[list[sql.Composable], list[Any]]:
        clauses: list[sql.Composable] = []
        params: list[Any] = []
        for clause, value in (
            ("template_id = %s", self.template_id),
            ("status = %s", self.status),
            ("created_at >= %s", self.created_after),
            ("created_at < %s", self.created_before),
        ):
            if value is not None:
                clauses.append(sql.SQL(clause))
                params.append(value)
        return clauses, params


class WorkflowInstancesView:
    async def get_instance(self, conn: AsyncConnection, project_id: UUID, ref: str) -> dict:
        guid = instance_id_of(ref)
        row = None
        if guid is not None:
            row = await fetch_one(
                conn,
                sql.SQL(
                    "SELECT * FROM {}.workflow_instances WHERE guid = %s AND project_id = %s"
                ).format(SCHEMA),
                [guid, project_id],
            )
        if row is None:
            raise NotVisible(f"workflow instance {ref!r} not found")
        return row

    async def list_instances(
        self, conn: AsyncConnection, project_id: UUID, filters: InstanceFilter, page: Page
    ) -> Listed:
        clauses, params = filters.where()
        where = [sql.SQL("project_id = %s"), sql.SQL("created_position > %s"), *clauses]
        query = sql.SQL(
            "SELECT * FROM {}.workflow_instances WHERE {} ORDER BY created_position LIMIT %s"
        ).format(SCHEMA, sql.SQL(" AND ").join(where))
        return await fetch_page(conn, query, [project_id, page.after, *params], page)

    async def executions(self, conn: AsyncConnection, instance_id: UUID) -> list[dict]:
        cur = await conn.execute(
            sql.SQL(
                "SELECT e.*, t.status AS task_status FROM {}.stage_executions e"
                " LEFT JOIN {}.tasks t ON t.guid = e.task_id"
                " WHERE e.workflow_instance_id = %s ORDER BY e.position"
            ).format(SCHEMA, TASKS),
            [instance_id],
        )
        return list(await cur.fetchall())  # type: ignore[arg-type]

    async def timeline(self, conn: AsyncConnection, instance: dict) -> list[dict]:
        """The instance's events and the signals routed to any of its runs, in time order."""
        cur = await conn.execute(
            sql.SQL(
                "SELECT position, at, event, run, stage, attempt, status, task_id, detail, actor"
                " FROM {}.instance_timeline WHERE instance_id = %s ORDER BY position"
            ).format(SCHEMA),
            [instance["guid"]],
        )
        entries = [{"kind": "event", **row} for row in await cur.fetchall()]  # type: ignore[dict-item]
        prefix = f"workflow-instance-{instance['guid']}"
        cur = await conn.execute(
            sql.SQL(
                "SELECT d.updated_at AS at, d.event_type, d.event_id, d.outcome, d.reason,"
                " d.route_id, d.route_version, r.slug AS route_slug, r.system AS route_system,"
                " d.target, d.attempt FROM {}.route_deliveries d"
                " LEFT JOIN {}.event_routes r ON r.guid = d.route_id"
                " WHERE d.organization_id = %s AND (d.target = %s OR d.target LIKE %s)"
                " ORDER BY d.updated_at, d.created_position"
            ).format(ROUTING, ROUTING),
            [instance["organization_id"], prefix, prefix + "-run-%"],
        )
        signals = [{"kind": "signal", **row} for row in await cur.fetchall()]  # type: ignore[dict-item]
        return sorted(entries + signals, key=lambda e: e["at"])


workflow_instances = WorkflowInstancesView()
