"""One instance per stage type and outcome, for the tests that compare Signalyard's record
of instances with Temporal's (and record the histories the replay test replays): each
scenario is a template draft, what is done to its instance while it runs, and the status
it ends in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from support.workflow_stack import task_stage, wait_stage

Drive = Callable[[httpx.Client, Any, dict], None]


def _nothing(admin: httpx.Client, tree: Any, instance: dict) -> None:
    return None


def _post(action: str, body: dict | None = None, stage: str | None = None) -> Drive:
    def drive(admin: httpx.Client, tree: Any, instance: dict) -> None:
        if stage is not None:
            wait_stage(admin, tree, instance["guid"], stage)
        url = f"{tree.project_path}/workflow-instances/{instance['guid']}{action}"
        sent = admin.post(url, json=body)
        assert sent.status_code == 202, sent.text

    return drive


@dataclass(frozen=True)
class Scenario:
    name: str
    stages: list[dict[str, Any]]
    ends: str
    drive: Drive = field(default=_nothing)


def _approval(roles: list[str]) -> dict[str, Any]:
    return {"name": "gate", "order": 5, "stage_type": "approval", "approval": {"roles": roles}}


def _wait(timeout: int) -> dict[str, Any]:
    return {
        "name": "merged",
        "order": 5,
        "stage_type": "wait_for_event",
        "event": {"signal": "pr-merged"},
        "timeout_seconds": timeout,
    }


SCENARIOS = [
    Scenario(
        "tasks-succeed",
        [task_stage("a", 1), task_stage("b", 2, inputs={"code": "stages.a.output.exit_code"})],
        "succeeded",
    ),
    Scenario(
        "task-retried-then-aborts",
        [task_stage("a", 1, "broken", on_failure={"action": "retry", "max_attempts": 2})],
        "failed",
    ),
    Scenario(
        "task-skipped",
        [task_stage("a", 1, "broken", on_failure={"action": "skip"}), task_stage("b", 2)],
        "succeeded",
    ),
    Scenario(
        "task-compensated",
        [
            task_stage(
                "a", 1, "broken", on_failure={"action": "compensate", "compensation_stage": "undo"}
            ),
            task_stage("undo", 2),
        ],
        "failed",
    ),
    Scenario(
        "approved",
        [_approval(["operator"]), task_stage("b", 9)],
        "succeeded",
        _post(":approve", {"comment": "yes"}, "gate"),
    ),
    Scenario(
        "rejected",
        [_approval(["operator"])],
        "failed",
        _post(":reject", {"comment": "no"}, "gate"),
    ),
    Scenario(
        "event-signalled",
        [_wait(300)],
        "succeeded",
        _post(":signal", {"name": "pr-merged", "payload": {"pr": 1}}, "merged"),
    ),
    Scenario("event-timed-out", [_wait(1)], "failed"),
    Scenario(
        "cancelled-while-waiting",
        [_wait(300), task_stage("never", 9)],
        "cancelled",
        _post(":cancel", {"reason": "stop"}, "merged"),
    ),
]
