"""Workflow instances as wire bodies, and their canonical paths."""

from __future__ import annotations

from typing import Any

from api.views import aggregate_row
from domain.workflows.instance import WorkflowInstance

INSTANCE_FIELDS = (
    "organization_id",
    "team_id",
    "workspace_id",
    "project_id",
    "template_id",
    "template_version",
    "temporal_wf_id",
    "input_context",
    "status",
    "run",
    "stage_results",
    "current_stage",
    "failed_stage",
    "reason",
)


def instance_path(instance: WorkflowInstance) -> str:
    return (
        f"/v1/orgs/{instance.organization_id}/teams/{instance.team_id}"
        f"/workspaces/{instance.workspace_id}/projects/{instance.project_id}"
        f"/workflow-instances/{instance.id}"
    )


def describe_instance(instance: WorkflowInstance) -> dict[str, Any]:
    return aggregate_row(instance, *INSTANCE_FIELDS)
