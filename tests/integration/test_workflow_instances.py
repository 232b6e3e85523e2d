"""Workflow instances on the real stack: started over the API, run by the Temporal worker,
their stage tasks really run by a dispatcher on the local runtime, every signal routed by
Signalyard's system routes from the bus."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from support.api import add_member
from support.dispatch import wait_status
from support.stack import Stack
from support.workflow_stack import (
    Templates,
    agents_tree,
    start,
    task_stage,
    timeline,
    wait_instance,
    wait_stage,
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


def _executions(seen: dict) -> list[tuple]:
    return [(e["run"], e["stage_id"], e["attempt_number"], e["status"]) for e in seen["executions"]]


def test_an_approval_stage_waits_for_a_role_it_allows(stack, tree, templates):
    template = templates.publish(
        tree.org["slug"],
        {
            "stages": [
                {
                    "name": "sign-off",
                    "order": 10,
                    "stage_type": "approval",
                    "approval": {"roles": ["admin"]},
                    "timeout_seconds": 300,
                },
                task_stage("ship", 20),
            ]
        },
    )
    org = tree.org["slug"]
    with stack.admin() as admin:
        _, operator_token, _ = add_member(admin, org, "operator")
        _, viewer_token, _ = add_member(admin, org, "viewer")
        _, owner_admin_token, _ = add_member(admin, org, "admin")
        started = start(admin, tree, template)
        wait_stage(admin, tree, started["guid"], "sign-off")
    url = f"{tree.project_path}/workflow-instances/{started['guid']}"
    with stack.client(operator_token) as operator, stack.client(viewer_token) as viewer:
        by_operator = operator.post(url + ":approve", json={"comment": "lgtm"})
        by_viewer = viewer.post(url + ":approve", json={})
    with stack.client(owner_admin_token) as approver:
        approved = approver.post(url + ":approve", json={"comment": "ship it"})
    with stack.admin() as admin:
        done = wait_instance(admin, tree, started["guid"], {"succeeded", "failed"})
        seen = timeline(admin, tree, started["guid"])
    assert by_operator.status_code == 403, by_operator.text  # operators run, admins decide
    assert by_viewer.status_code == 403
    assert approved.status_code == 202, approved.text
    assert done["status"] == "succeeded", done
    output = done["stage_results"]["sign-off"]["output"]
    assert output["approved"] is True and output["comment"] == "ship it"
    commands = [e for e in seen["entries"] if e.get("event") == "Commanded"]
    assert [(c["detail"]["command"], c["stage"]) for c in commands] == [("approve", "sign-off")]
    assert _executions(seen) == [(1, "sign-off", 1, "succeeded"), (1, "ship", 1, "succeeded")]


def test_a_rejected_approval_fails_the_instance_and_it_cannot_be_decided_twice(
    stack, tree, templates
):
    template = templates.publish(
        tree.org["slug"],
        {
            "stages": [
                {
                    "name": "gate",
                    "order": 10,
                    "stage_type": "approval",
                    "approval": {"roles": ["operator"]},
                },
            ]
        },
    )
    with stack.admin() as admin:
        started = start(admin, tree, template)
        wait_stage(admin, tree, started["guid"], "gate")
        url = f"{tree.project_path}/workflow-instances/{started['guid']}"
        rejected = admin.post(url + ":reject", json={"comment": "not now"})
        done = wait_instance(admin, tree, started["guid"], {"succeeded", "failed"})
        again = admin.post(url + ":approve", json={})
    assert rejected.status_code == 202
    assert done["status"] == "failed" and done["failed_stage"] == "gate"
    assert again.status_code == 409


def test_wait_for_event_takes_a_signal_routed_by_a_users_route(stack, tree, templates):
    template = templates.publish(
        tree.org["slug"],
        {
            "stages": [
                {
                    "name": "config-ready",
                    "order": 10,
                    "stage_type": "wait_for_event",
                    "event": {"signal": "config-published"},
                    "timeout_seconds": 300,
                },
                task_stage("use-it", 20, inputs={"which": "stages.config-ready.output.payload"}),
            ]
        },
    )
    org = tree.org_path
    with stack.admin() as admin:
        started = start(admin, tree, template)
        route = admin.post(
            f"{org}/event-routes",
            json={
                "name": "Config to instance",
                "event_type": "io.signalyard.config.created.v1",
                "target_wf_id": started["temporal_wf_id"],
                "signal_name": "config-published",
                "transform": "{config: .subject}",
            },
        )
        assert route.status_code == 201, route.text
        wait_stage(admin, tree, started["guid"], "config-ready")
        config = admin.post(
            f"{org}/configs", json={"name": "LLM", "category": "llm", "content": {"model": "m"}}
        )
        assert config.status_code == 201, config.text
        done = wait_instance(admin, tree, started["guid"], {"succeeded", "failed"})
        seen = timeline(admin, tree, started["guid"])
    assert done["status"] == "succeeded", done
    got = done["stage_results"]["config-ready"]["output"]
    assert got == {"signal": "config-published", "payload": {"config": config.json()["guid"]}}
    by_user_route = [
        e
        for e in seen["entries"]
        if e["kind"] == "signal" and e["route_slug"] == "config-to-instance"
    ]
    assert len(by_user_route) == 1 and by_user_route[0]["route_system"] is False
    assert by_user_route[0]["event_type"] == "io.signalyard.config.created.v1"


def test_a_signal_sent_over_the_api_ends_a_wait_and_a_timeout_fails_it(stack, tree, templates):
    waiting = {
        "name": "merged",
        "order": 10,
        "stage_type": "wait_for_event",
        "event": {"signal": "pr-merged"},
        "timeout_seconds": 300,
    }
    signalled = templates.publish(tree.org["slug"], {"stages": [waiting]})
    timing_out = templates.publish(
        tree.org["slug"], {"stages": [{**waiting, "timeout_seconds": 1}]}
    )
    with stack.admin() as admin:
        first = start(admin, tree, signalled)
        second = start(admin, tree, timing_out)
        wait_stage(admin, tree, first["guid"], "merged")
        url = f"{tree.project_path}/workflow-instances/{first['guid']}"
        sent = admin.post(url + ":signal", json={"name": "pr-merged", "payload": {"pr": 12}})
        done = wait_instance(admin, tree, first["guid"], {"succeeded", "failed"})
        timed_out = wait_instance(admin, tree, second["guid"], {"succeeded", "failed"})
        seen = timeline(admin, tree, second["guid"])
    assert sent.status_code == 202, sent.text
    assert done["stage_results"]["merged"]["output"] == {
        "signal": "pr-merged",
        "payload": {"pr": 12},
    }
    assert timed_out["status"] == "failed" and timed_out["failed_stage"] == "merged"
    assert _executions(seen) == [(1, "merged", 1, "timed_out")]


def test_on_failure_retry_skip_and_compensate(stack, tree, templates):
    org = tree.org["slug"]
    retried = templates.publish(
        org,
        {
            "stages": [
                task_stage(
                    "flaky",
                    10,
                    "broken",
                    on_failure={"action": "retry", "max_attempts": 2, "backoff_seconds": 0.5},
                )
            ]
        },
    )
    skipped = templates.publish(
        org,
        {
            "stages": [
                task_stage("optional", 10, "broken", on_failure={"action": "skip"}),
                task_stage("after", 20),
            ]
        },
    )
    compensated = templates.publish(
        org,
        {
            "stages": [
                task_stage(
                    "deploy",
                    10,
                    "broken",
                    on_failure={"action": "compensate", "compensation_stage": "rollback"},
                ),
                task_stage("rollback", 20),
            ]
        },
    )
    with stack.admin() as admin:
        ids = [start(admin, tree, t)["guid"] for t in (retried, skipped, compensated)]
        done = [wait_instance(admin, tree, g, {"succeeded", "failed"}) for g in ids]
        seen = [timeline(admin, tree, g) for g in ids]
    assert done[0]["status"] == "failed" and done[0]["failed_stage"] == "flaky"
    assert _executions(seen[0]) == [(1, "flaky", 1, "failed"), (1, "flaky", 2, "failed")]
    task_ids = {e["task_id"] for e in seen[0]["executions"]}
    assert len(task_ids) == 2  # one task per attempt
    assert done[1]["status"] == "succeeded"
    assert done[1]["stage_results"]["optional"] == {"status": "skipped", "output": {}}
    assert _executions(seen[1]) == [(1, "optional", 1, "failed"), (1, "after", 1, "succeeded")]
    assert done[2]["status"] == "failed" and done[2]["failed_stage"] == "deploy"
    assert _executions(seen[2]) == [(1, "deploy", 1, "failed"), (1, "rollback", 1, "succeeded")]


def test_cancel_stops_the_running_task_too(stack, tree, templates):
    template = templates.publish(
        tree.org["slug"], {"stages": [task_stage("long", 10, "sleeper"), task_stage("never", 20)]}
    )
    with stack.admin() as admin:
        started = start(admin, tree, template)
        url = f"{tree.project_path}/workflow-instances/{started['guid']}"
        wait_stage(admin, tree, started["guid"], "long")
        task_id = _wait_task(admin, tree, started["guid"])
        wait_status(admin, tree, task_id, {"running"})
        cancelled = admin.post(url + ":cancel", json={"reason": "changed my mind"})
        done = wait_instance(admin, tree, started["guid"], {"cancelled", "failed", "succeeded"})
        task = wait_status(admin, tree, task_id, {"cancelled", "succeeded", "failed"})
        seen = timeline(admin, tree, started["guid"])
    assert cancelled.status_code == 202
    assert done["status"] == "cancelled"
    assert task["status"] == "cancelled"
    assert _executions(seen) == [(1, "long", 1, "cancelled")]


def test_retry_runs_a_failed_instance_again_from_the_stage_that_failed(stack, tree, templates):
    template = templates.publish(
        tree.org["slug"],
        {
            "stages": [
                task_stage("build", 10),
                {
                    "name": "merged",
                    "order": 20,
                    "stage_type": "wait_for_event",
                    "event": {"signal": "pr-merged"},
                    "timeout_seconds": 2,
                },
            ]
        },
    )
    with stack.admin() as admin:
        started = start(admin, tree, template)
        url = f"{tree.project_path}/workflow-instances/{started['guid']}"
        failed = wait_instance(admin, tree, started["guid"], {"failed", "succeeded"})
        retried = admin.post(url + ":retry")
        again = admin.post(url + ":retry")
        wait_stage(admin, tree, started["guid"], "merged")
        admin.post(url + ":signal", json={"name": "pr-merged", "payload": {}})
        done = wait_instance(admin, tree, started["guid"], {"succeeded"})
        seen = timeline(admin, tree, started["guid"])
    assert failed["status"] == "failed" and failed["failed_stage"] == "merged"
    assert retried.status_code == 202 and retried.json()["run"] == 2
    assert again.status_code == 409  # the instance is not failed any more
    assert done["temporal_wf_id"].endswith("-run-2")
    assert _executions(seen) == [
        (1, "build", 1, "succeeded"),
        (1, "merged", 1, "timed_out"),
        (2, "merged", 1, "succeeded"),
    ]
    assert set(done["stage_results"]) == {"build", "merged"}


def _wait_task(admin, tree, guid: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        executions = timeline(admin, tree, guid)["executions"]
        if executions and executions[-1]["task_id"]:
            return executions[-1]["task_id"]
        time.sleep(0.2)
    raise AssertionError("no stage task")


def test_a_start_repeated_with_its_idempotency_key_starts_one_instance(stack, tree, templates):
    template = templates.publish(tree.org["slug"], {"stages": [task_stage("only", 10)]})
    other = templates.publish(tree.org["slug"], {"stages": [task_stage("only", 10)]})
    url = f"{tree.project_path}/workflow-instances"
    key = {"Idempotency-Key": f"start-{template}"}
    with stack.admin() as admin:
        first = admin.post(url, json={"template": template}, headers=key)
        again = admin.post(url, json={"template": template}, headers=key)
        changed = admin.post(url, json={"template": other}, headers=key)
        done = wait_instance(admin, tree, first.json()["guid"], {"succeeded", "failed"})
        listed = admin.get(url, params={"template": template}).json()["items"]
        succeeded = admin.get(url, params={"template": template, "status": "succeeded"})
        none_failed = admin.get(url, params={"template": template, "status": "failed"})
    assert first.status_code == again.status_code == 202
    assert again.json()["guid"] == first.json()["guid"]
    assert changed.status_code == 422  # the same key with another body
    assert done["status"] == "succeeded"
    assert [i["guid"] for i in listed] == [first.json()["guid"]]
    assert [i["guid"] for i in succeeded.json()["items"]] == [first.json()["guid"]]
    assert none_failed.json()["items"] == []
