"""Tasks, agent definitions and runtime targets as wire bodies, and their canonical paths."""

from __future__ import annotations

from typing import Any

from api.routes.catalog_views import org_path
from api.views import aggregate_row
from domain.infra.agent_definition import AgentDefinition
from domain.infra.runtime_target import RuntimeTarget
from domain.tasks.task import Task

TASK_FIELDS = (
    "organization_id",
    "team_id",
    "workspace_id",
    "project_id",
    "agent_image",
    "status",
    "reason",
    "attempt",
    "brief_key",
    "dispatcher_id",
    "callback_url",
    "skills",
    "configs",
    "tools",
    "agent_definition",
    "runtime_target",
    "input",
    "timeout_seconds",
    "resources",
    "cancel_requested",
    "result",
    "error",
    "progress",
    "deadline_at",
    "secrets",
    "waiting_reason",
)


def task_path(task: Task) -> str:
    return (
        f"/v1/orgs/{task.organization_id}/teams/{task.team_id}/workspaces/{task.workspace_id}"
        f"/projects/{task.project_id}/tasks/{task.id}"
    )


def describe_task(task: Task) -> dict[str, Any]:
    row = aggregate_row(task, *TASK_FIELDS)
    row["finished_at"] = task.modified_on if row["status"] in _FINISHED else None
    return row


_FINISHED = frozenset({"succeeded", "failed", "cancelled", "timed_out"})


def agent_definition_path(definition: AgentDefinition) -> str:
    return f"{org_path(definition.organization_id)}/agent-definitions/{definition.id}"


def describe_agent_definition(definition: AgentDefinition) -> dict[str, Any]:
    row = aggregate_row(
        definition,
        "organization_id",
        "category",
        "current_version",
        "latest_version",
        "content_hash",
    )
    row["spec"] = definition.spec
    return row


def describe_target(target: RuntimeTarget) -> dict[str, Any]:
    return aggregate_row(
        target,
        "organization_id",
        "scope_type",
        "scope_id",
        "backend_type",
        "endpoint",
        "namespace",
        "is_default",
        "infra_service",
    )
