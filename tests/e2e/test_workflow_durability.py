"""Workflow instances outlive their machinery: the Temporal worker killed with SIGKILL mid-
instance, the Temporal dev server restarted on its SQLite file, NATS down for 30 s. Real
tasks run on the local runtime throughout; afterwards every stage ran exactly once (one
execution, one task, one attempt of it), and Temporal heard each task's outcome once."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from support.dispatch import agent, wait_status
from support.stack import Stack
from support.workflow_stack import (
    Templates,
    agents_tree,
    start,
    task_stage,
    timeline,
    wait_instance,
    wait_stage,
    worker_process,
    workflow_stack,
)

from signalyard.embedded import EmbeddedNats, EmbeddedTemporal
from workers.adapters.temporal_client import TemporalConfig, connect

pytestmark = pytest.mark.slow
STAGES = ("a", "b", "c", "d")
NATS_OUTAGE_SECONDS = 30


def _instance(stack: Stack) -> tuple[Any, dict]:
    templates = Templates(stack)
    try:
        with stack.admin() as admin:
            tree = agents_tree(admin)
            agent(admin, tree.org_path, "nap", "sleep 2; echo rested")
            template = templates.publish(
                tree.org["slug"],
                {"stages": [task_stage(s, i, "nap") for i, s in enumerate(STAGES)]},
            )
            return tree, start(admin, tree, template)
    finally:
        templates.close()


def _ran_once_each(stack: Stack, tree: Any, instance: dict, address: str) -> None:
    with stack.admin() as admin:
        done = wait_instance(admin, tree, instance["guid"], {"succeeded", "failed"}, 240)
        seen = timeline(admin, tree, instance["guid"])
        tasks = [wait_status(admin, tree, e["task_id"], {"succeeded"}) for e in seen["executions"]]
    assert done["status"] == "succeeded", done
    executions = [(e["stage_id"], e["attempt_number"], e["status"]) for e in seen["executions"]]
    assert executions == [(s, 1, "succeeded") for s in STAGES]
    assert [t["attempt"] for t in tasks] == [1] * len(STAGES)  # no task ran twice
    outcomes = asyncio.run(_outcome_signals(address, instance["temporal_wf_id"]))
    assert sorted(outcomes) == sorted(t["guid"] for t in tasks)


async def _outcome_signals(address: str, workflow_id: str) -> list[str]:
    from temporalio.api.enums.v1 import EventType
    from temporalio.converter import DataConverter

    client = await connect(TemporalConfig(address), name="durability-test")
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    convert = DataConverter.default.payload_converter
    found = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            attrs = event.workflow_execution_signaled_event_attributes
            if attrs.signal_name == "task_outcome":
                found.append(convert.from_payloads(list(attrs.input.payloads))[0]["task_id"])
    return found


def test_a_worker_killed_mid_instance_resumes_it_with_nothing_doubled(
    module_db_url: str, nats_bus: Any, temporal_address: str, tmp_path: Path
):
    with workflow_stack(
        module_db_url, nats_bus, temporal_address, in_process_worker=False
    ) as stack:
        log = tmp_path / "worker.log"
        worker = worker_process(stack.settings, log)
        try:
            tree, instance = _instance(stack)
            with stack.admin() as admin:
                wait_stage(admin, tree, instance["guid"], "b", 120)
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            time.sleep(3)  # the task of stage b ends meanwhile: its outcome waits for us
            worker = worker_process(stack.settings, log)
            with stack.admin() as admin:
                wait_stage(admin, tree, instance["guid"], "c", 120)
            worker.send_signal(signal.SIGKILL)  # and again, while c's task runs
            worker.wait(10)
            worker = worker_process(stack.settings, log)
            _ran_once_each(stack, tree, instance, temporal_address)
        finally:
            worker.terminate()
            worker.wait(15)


def test_a_temporal_restart_mid_instance_resumes_it_with_nothing_doubled(
    module_db_url: str, nats_bus: Any, service_dir: Path
):
    server = EmbeddedTemporal(service_dir / "temporal")
    address = server.start()
    try:
        with workflow_stack(module_db_url, nats_bus, address) as stack:
            tree, instance = _instance(stack)
            with stack.admin() as admin:
                wait_stage(admin, tree, instance["guid"], "b", 120)
            server.stop()
            time.sleep(5)  # b's task ends while Temporal is away
            assert server.start() == address  # same file, same port
            _ran_once_each(stack, tree, instance, address)
    finally:
        server.stop()


def test_nats_down_for_30_s_mid_instance_resumes_it_with_nothing_doubled(
    module_db_url: str, temporal_address: str, service_dir: Path
):
    bus = EmbeddedNats(service_dir / "nats")
    bus.start()
    try:
        with workflow_stack(module_db_url, bus, temporal_address) as stack:
            tree, instance = _instance(stack)
            with stack.admin() as admin:
                wait_stage(admin, tree, instance["guid"], "b", 120)
            bus.stop()
            time.sleep(NATS_OUTAGE_SECONDS)
            bus.start()
            _ran_once_each(stack, tree, instance, temporal_address)
    finally:
        bus.stop()
