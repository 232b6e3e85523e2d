"""Workflow instances on the real stack: started over the API, run by the Temporal worker,
their stage tasks really run by a dispatcher on the local runtime, every signal routed by
Signalyard's system routes from the bus."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.stack import Stack
from support.workflow_stack import (
    Templates,
    agents_tree,
    start,
    task_stage,
    timeline,
    wait_instance,
    workflow_stack,
)


@pytest.fixture(scope="module")
def stack(module_db_url: str, nats_bus: Any, temporal_address: str) -> Iterator[Stack]:
    with workflow_stack(module_db_url, nats_bus, temporal_address) as running:
        yield running


@pytest.fixture(scope="module")
def tree(stack: Stack) -> Any:
    with stack.admin() as admin:
        return agents_tree(admin)


@pytest.fixture(scope="module")
def templates(stack: Stack) -> Iterator[Templates]:
    made = Templates(stack)
    yield made
    made.close()


def test_agent_task_stages_run_in_order_and_pass_outputs_on(stack, tree, templates):
    template = templates.publish(
        tree.org["slug"],
        {
            "input_schema": {
                "type": "object",
                "properties": {"repo": {"type": "string"}},
                "required": ["repo"],
            },
            "stages": [
                task_stage("first", 10, inputs={"repo": "context.repo"}),
                task_stage("second", 20, inputs={"code": "stages.first.output.exit_code"}),
            ],
        },
    )
    with stack.admin() as admin:
        refused = admin.post(
            f"{tree.project_path}/workflow-instances",
            json={"template": template, "input_context": {"repo": 7}},
        )
        started = start(admin, tree, template, input_context={"repo": "signalyard"})
        done = wait_instance(admin, tree, started["guid"], {"succeeded", "failed"})
        seen = timeline(admin, tree, started["guid"])
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"].startswith("input_context")
    assert started["status"] == "pending" and started["template_version"] == 1
    assert done["status"] == "succeeded", done
    assert done["stage_results"] == {
        "first": {"status": "succeeded", "output": {"exit_code": 0}},
        "second": {"status": "succeeded", "output": {"exit_code": 0}},
    }
    executions = seen["executions"]
    assert [(e["stage_id"], e["attempt_number"], e["status"]) for e in executions] == [
        ("first", 1, "succeeded"),
        ("second", 1, "succeeded"),
    ]
    assert all(e["task_status"] == "succeeded" for e in executions)
    signals = [e for e in seen["entries"] if e["kind"] == "signal"]
    routes = sorted((s["route_slug"], s["outcome"], s["route_system"]) for s in signals)
    assert routes == [
        ("workflow-instance-start", "delivered", True),
        ("workflow-task-outcomes", "delivered", True),
        ("workflow-task-outcomes", "delivered", True),
    ]
