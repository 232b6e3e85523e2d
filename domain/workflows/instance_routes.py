"""Signalyard's own routes that drive workflow instances, installed once per organization
as system routes (listed with the org's routes, changed by nobody else):

- an instance requested (or retried) starts its Temporal workflow (signal-with-start: the
  workflow id is derived from the instance, so a start delivered twice starts one run);
- what users ask of an instance (`Commanded`) reaches the running workflow;
- a stage task's outcome (succeeded, failed, timed out, cancelled) reaches the workflow
  named by the task's `workflow_id`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.core.context import system_context
from domain.core.errors import Conflict, NotFound
from domain.routing.route_service import RouteService

WORKFLOW_TYPE = "SignalyardWorkflow"
_INSTANCE = "io.signalyard.workflow_instance."
TASK_OUTCOMES = [
    f"io.signalyard.task.{verb}.v1" for verb in ("succeeded", "failed", "timed_out", "cancelled")
]


def route_definitions(task_queue: str) -> dict[str, dict[str, Any]]:
    start = {
        "source": "**",
        "target_wf_id": "{data.temporal_wf_id}",
        "signal_name": "start",
        "transform": "{instance_id: .subject, run: (.data.run // 1)}",
        "action": "signal_with_start",
        "workflow_type": WORKFLOW_TYPE,
        "task_queue": task_queue,
    }
    return {
        "workflow-instance-start": {**start, "event_type": _INSTANCE + "requested.v1"},
        "workflow-instance-retry": {**start, "event_type": _INSTANCE + "retry_requested.v1"},
        "workflow-instance-commands": {
            "event_type": _INSTANCE + "commanded.v1",
            "target_wf_id": "{data.temporal_wf_id}",
            "signal_name": "command",
            "transform": ".data + {actor: .actor, event_id: .id, time: .time}",
        },
        "workflow-task-outcomes": {
            "event_type": "io.signalyard.task.*.v1",
            "filter": f"type in {TASK_OUTCOMES!r} && data.workflow_id != null".replace("'", '"'),
            "target_wf_id": "{data.workflow_id}",
            "signal_name": "task_outcome",
            "transform": (
                "{task_id: .subject, status: .data.status, attempt: .data.attempt,"
                " result: .data.result, error: .data.error, reason: .data.reason, event_id: .id}"
            ),
        },
    }


class WorkflowRoutes:
    """`SystemRoutes` on the routing context's use cases."""

    def __init__(self, routes: RouteService, task_queue: str) -> None:
        self.routes = routes
        self.definitions = route_definitions(task_queue)
        self._installed: set[UUID] = set()

    def ensure(self, organization_id: UUID) -> None:
        if organization_id in self._installed:
            return
        ctx = system_context()
        for slug, definition in self.definitions.items():
            try:
                self.routes.find(ctx, self.routes.write_action, str(organization_id), slug)
                continue
            except NotFound:
                pass
            try:
                self.routes.create(
                    ctx,
                    str(organization_id),
                    name=slug.replace("-", " "),
                    slug=slug,
                    definition=definition,
                    description="Installed by Signalyard: drives workflow instances.",
                    system=True,
                )
            except Conflict:
                pass  # installed meanwhile by another process
        self._installed.add(organization_id)
