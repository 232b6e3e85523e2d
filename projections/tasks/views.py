"""Reads of the tasks read model: a project's tasks (filtered, paged, counted by status),
one task, its timeline; and the overdue tasks the timeout enforcer acts on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql

from domain.tasks.task import task_id_of
from projections.reading.paging import Page
from projections.reading.rows import fetch_one, fetch_page
from projections.reading.viewer import NotVisible
from projections.tasks.agent_heartbeats import TABLE as HEARTBEATS

SCHEMA = sql.Identifier("rm_tasks")
# A task's row with its current attempt's last heartbeat (kept outside the log).
_TASK_ROWS = sql.SQL(
    "SELECT t.*, h.last_heartbeat AS last_agent_heartbeat FROM {}.tasks t"
    " LEFT JOIN {} h ON h.task_id = t.guid AND h.attempt = t.attempt"
).format(SCHEMA, HEARTBEATS)
Listed = tuple[list[dict], str | None]


@dataclass(frozen=True)
class TaskFilter:
    status: str | None = None
    agent_image: str | None = None
    agent_definition: UUID | None = None
    skill: UUID | None = None
    skill_version: int | None = None
    dispatcher_id: str | None = None
    runtime_target: UUID | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None

    def where(self) -> tuple[list[sql.Composable], list[Any]]:
        clauses: list[sql.Composable] = []
        params: list[Any] = []

        def add(clause: str, value: Any) -> None:
            clauses.append(sql.SQL(clause))
            params.append(value)

        if self.status is not None:
            add("status = %s", self.status)
        if self.agent_image is not None:
            add("agent_image = %s", self.agent_image)
        if self.agent_definition is not None:
            add("agent_definition->>'guid' = %s", str(self.agent_definition))
        if self.skill is not None:
            pin: dict[str, Any] = {"guid": str(self.skill)}
            if self.skill_version is not None:
                pin["version"] = self.skill_version
            add("skills @> %s::jsonb", json.dumps([pin]))
        if self.dispatcher_id is not None:
            add("dispatcher_id = %s", self.dispatcher_id)
        if self.runtime_target is not None:
            add("runtime_target->>'guid' = %s", str(self.runtime_target))
        if self.created_after is not None:
            add("created_at >= %s", self.created_after)
        if self.created_before is not None:
            add("created_at < %s", self.created_before)
        return clauses, params


class TasksView:
    async def get_task(self, conn: AsyncConnection, project_id: UUID, ref: str) -> dict:
        guid = task_id_of(ref)
        row = None
        if guid is not None:
            row = await fetch_one(
                conn,
                sql.SQL("{} WHERE guid = %s AND project_id = %s").format(_TASK_ROWS),
                [guid, project_id],
            )
        if row is None:
            raise NotVisible(f"task {ref!r} not found")
        return row

    async def list_tasks(
        self, conn: AsyncConnection, project_id: UUID, filters: TaskFilter, page: Page
    ) -> Listed:
        clauses, params = filters.where()
        where = [sql.SQL("project_id = %s"), sql.SQL("created_position > %s"), *clauses]
        query = sql.SQL("{} WHERE {} ORDER BY created_position LIMIT %s").format(
            _TASK_ROWS, sql.SQL(" AND ").join(where)
        )
        return await fetch_page(conn, query, [project_id, page.after, *params], page)

    async def count_by_status(
        self, conn: AsyncConnection, project_id: UUID, filters: TaskFilter
    ) -> dict[str, int]:
        clauses, params = filters.where()
        where = [sql.SQL("project_id = %s"), *clauses]
        query = sql.SQL(
            "SELECT status, count(*) AS n FROM {}.tasks WHERE {} GROUP BY status"
        ).format(SCHEMA, sql.SQL(" AND ").join(where))
        cur = await conn.execute(query, [project_id, *params])
        return {row["status"]: row["n"] for row in await cur.fetchall()}  # type: ignore[call-overload]

    async def timeline(self, conn: AsyncConnection, task_id: UUID, page: Page) -> Listed:
        """Every transition in log order; pages follow `position` (as rows' created_position)."""
        query = sql.SQL(
            "SELECT *, position AS created_position FROM {}.task_timeline"
            " WHERE task_id = %s AND position > %s ORDER BY position LIMIT %s"
        ).format(SCHEMA)
        return await fetch_page(conn, query, [task_id, page.after], page)

    async def list_overdue(
        self, conn: AsyncConnection, now: datetime, limit: int = 100
    ) -> list[dict]:
        """Live attempts past their deadline, oldest first: (guid, attempt) to time out."""
        cur = await conn.execute(
            sql.SQL(
                "SELECT guid, organization_id, project_id, attempt, deadline_at FROM {}.tasks"
                " WHERE status IN ('dispatched', 'running') AND deadline_at < %s"
                " ORDER BY deadline_at LIMIT %s"
            ).format(SCHEMA),
            [now, limit],
        )
        return list(await cur.fetchall())  # type: ignore[arg-type]


tasks = TasksView()


async def live_of_dispatcher(conn: AsyncConnection, dispatcher_id: str) -> list[dict]:
    """The attempts a dispatcher holds (claimed or running): (guid, attempt) to re-queue
    when it is lost, and whether a cancel was asked (to stop them)."""
    cur = await conn.execute(
        sql.SQL(
            "SELECT guid, attempt, cancel_requested FROM {}.tasks"
            " WHERE status IN ('dispatched', 'running') AND dispatcher_id = %s"
        ).format(SCHEMA),
        [dispatcher_id],
    )
    return list(await cur.fetchall())  # type: ignore[arg-type]
