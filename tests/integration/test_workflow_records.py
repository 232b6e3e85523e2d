"""Two records of each instance that must tell one story: Signalyard's events (the
instance's and its stage executions') and Temporal's workflow history (the activities that
wrote them, the signals that drove them). Instances go through every stage type and
outcome; each history is also replayed against the current workflow code, and saved for
the replay test when RECORD_WORKFLOW_HISTORIES names a directory."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from support.stack import Stack
from support.workflow_scenarios import SCENARIOS
from support.workflow_stack import Templates, agents_tree, start, wait_instance, workflow_stack
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from domain.workflows.instance import WorkflowInstance
from domain.workflows.stage_execution import WorkflowStageExecution, execution_id
from workers.adapters.temporal_client import TemporalConfig, connect
from workers.temporal.workflows import InstanceWorkflow


@pytest.fixture(scope="module")
def stack(module_db_url: str, nats_bus: Any, temporal_address: str) -> Iterator[Stack]:
    with workflow_stack(module_db_url, nats_bus, temporal_address) as running:
        yield running


def _signalyard_story(store: Any, instance_id: UUID) -> dict[str, Any]:
    events = store.history(instance_id)
    entered = [(e.stage, e.attempt) for e in events if type(e).__name__ == "StageEntered"]
    finished = []
    for stage, attempt in entered:
        execution = store.find(execution_id(instance_id, 1, stage, attempt), WorkflowStageExecution)
        finished.append((stage, attempt, execution.status))
    commands = [e.command for e in events if type(e).__name__ == "Commanded"]
    ends = [e.status for e in events if type(e).__name__ == "Finished"]
    return {"entered": entered, "finished": finished, "commands": commands, "ends": ends}


def ours_tasks(store: Any, instance: dict) -> list[str]:
    """The stage tasks of the instance that ended (their outcome is signalled)."""
    instance_id = UUID(instance["guid"])
    found = []
    for event in store.history(instance_id):
        if type(event).__name__ != "StageEntered":
            continue
        key = execution_id(instance_id, 1, event.stage, event.attempt)
        execution = store.find(key, WorkflowStageExecution)
        if execution.task_id is not None and execution.status in ("succeeded", "failed"):
            found.append(str(execution.task_id))
    return found


def _temporal_story(history: WorkflowHistory, decode: Any) -> dict[str, Any]:
    scheduled: dict[str, list[Any]] = {}
    signals: list[tuple[str, Any]] = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            [arg] = decode(attrs.input.payloads)
            scheduled.setdefault(attrs.activity_type.name, []).append(arg)
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            attrs = event.workflow_execution_signaled_event_attributes
            [payload] = decode(attrs.input.payloads)
            signals.append((attrs.signal_name, payload))
    return {
        "entered": [(a["stage"]["name"], a["attempt"]) for a in scheduled.get("enter_stage", [])],
        "finished": [
            (a["stage"], a["attempt"], a["status"]) for a in scheduled.get("finish_stage", [])
        ],
        "commands": [p["command"] for name, p in signals if name == "command"],
        "ends": [a["status"] for a in scheduled.get("finish", [])],
        "outcomes": [p["task_id"] for name, p in signals if name == "task_outcome"],
        "starts": [p for name, p in signals if name == "start"],
    }


async def _histories(address: str, workflow_ids: list[str]) -> list[WorkflowHistory]:
    client = await connect(TemporalConfig(address), name="records-test")
    return [await client.get_workflow_handle(w).fetch_history() for w in workflow_ids]


async def _replay(histories: list[WorkflowHistory]) -> None:
    replayer = Replayer(workflows=[InstanceWorkflow])
    for history in histories:
        await replayer.replay_workflow(history)


def test_signalyards_events_and_temporals_histories_tell_one_story(stack, temporal_address):
    templates = Templates(stack)
    with stack.admin() as admin:
        tree = agents_tree(admin)
        org = tree.org["slug"]
        started = [
            start(admin, tree, templates.publish(org, {"stages": s.stages})) for s in SCENARIOS
        ]
        for scenario, instance in zip(SCENARIOS, started, strict=True):
            scenario.drive(admin, tree, instance)
        done = [
            wait_instance(admin, tree, i["guid"], {"succeeded", "failed", "cancelled"})
            for i in started
        ]
    assert [d["status"] for d in done] == [s.ends for s in SCENARIOS]
    histories = asyncio.run(_histories(temporal_address, [i["temporal_wf_id"] for i in started]))
    decode = bootstrap_converter()
    store = templates.store
    for scenario, instance, history in zip(SCENARIOS, started, histories, strict=True):
        ours = _signalyard_story(store, UUID(instance["guid"]))
        theirs = _temporal_story(history, decode)
        assert ours == {k: theirs[k] for k in ours}, scenario.name
        assert theirs["starts"] == [{"instance_id": instance["guid"], "run": 1}], scenario.name
        # Every task that ended reported once, and only tasks of this instance did.
        assert sorted(theirs["outcomes"]) == sorted(ours_tasks(store, instance)), scenario.name
        assert store.find(UUID(instance["guid"]), WorkflowInstance).status == scenario.ends
    asyncio.run(_replay(histories))
    target = os.environ.get("RECORD_WORKFLOW_HISTORIES")
    if target:
        for scenario, history in zip(SCENARIOS, histories, strict=True):
            path = Path(target) / f"{scenario.name}.json"
            path.write_text(json.dumps(history.to_json_dict(), indent=1) + "\n")
    templates.close()


def bootstrap_converter() -> Any:
    from temporalio.converter import DataConverter

    converter = DataConverter.default.payload_converter
    return lambda payloads: converter.from_payloads(list(payloads))
