"""A dispatcher killed with SIGKILL mid-task: its attempt dies with it, another dispatcher
finds it silent, marks it lost and re-queues the task as attempt 2, which runs once more;
the old attempt's late report is refused and only one attempt is ever live."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.dispatch import (
    agent,
    dispatcher_process,
    dispatcher_thread,
    own_bus,
    relay_running,
    submit,
    task_tree,
    wait_status,
)
from support.local_runtime import wait_until
from support.stack import Stack, bus_settings, running_stack

from domain.infra.dispatcher_instance import LOST, dispatcher_id_of
from domain.infra.dispatchers import Dispatchers
from signalyard import bootstrap
from signalyard.runtimes import log_store


@pytest.fixture
def stack(fresh_db_url: str, nats_bus: Any) -> Iterator[Stack]:
    runtime_dir = Path(tempfile.mkdtemp(prefix="signalyard-dispatch-kill-"))
    runtime_dir.chmod(0o755)
    options = {
        **bus_settings(nats_bus),
        **own_bus(),
        "runtime_dir": runtime_dir,
        "dispatcher_heartbeat_seconds": 0.5,
        "dispatcher_sweep_seconds": 0.5,
        "dispatcher_lost_after_seconds": 3.0,
    }
    with running_stack(fresh_db_url, **options) as running, relay_running(running.settings):
        yield running
    shutil.rmtree(runtime_dir, ignore_errors=True)


def _attempt_running(task_guid: str) -> bool:
    import psutil

    for process in psutil.process_iter(["cwd"]):
        if task_guid in (process.info["cwd"] or ""):
            return True
    return False


def test_a_killed_dispatchers_task_runs_again_as_attempt_2_and_only_once(stack: Stack):
    victim = f"victim-{uuid.uuid4().hex[:6]}"
    with stack.admin() as admin:
        tree = task_tree(admin, "kill")
        agent(
            admin, tree.org_path, "slow", "echo attempt-$SIGNALYARD_ATTEMPT; sleep 3; echo finished"
        )
        process = dispatcher_process(stack.settings, victim)
        try:
            task = submit(admin, tree, "slow", timeout_seconds=120)
            running = wait_status(admin, tree, task["guid"], {"running"}, timeout=60)
            assert running["dispatcher_id"] == victim and running["attempt"] == 1
            assert wait_until(lambda: _attempt_running(task["guid"]), 10)
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
        assert wait_until(lambda: not _attempt_running(task["guid"]), 10), "attempt 1 survived"
        with dispatcher_thread(stack.settings) as survivor:
            done = wait_status(admin, tree, task["guid"], {"succeeded", "failed"}, timeout=60)
        timeline = admin.get(f"{tree.project_path}/tasks/{task['guid']}/timeline").json()
    assert done["status"] == "succeeded" and done["attempt"] == 2, done
    assert done["dispatcher_id"] == survivor.name
    rows = timeline["items"]
    claims = [(r["attempt"], r["dispatcher_id"]) for r in rows if r["status"] == "dispatched"]
    assert claims == [(1, victim), (2, survivor.name)]
    requeued = [r for r in rows if r["status"] == "queued" and r["attempt"] == 2]
    assert len(requeued) == 1 and f"dispatcher {victim} lost" in requeued[0]["reason"]
    assert [r["attempt"] for r in rows if r["status"] == "succeeded"] == [2]

    logs = log_store(stack.settings)
    prefix = f"{done['organization_id']}/{done['project_id']}/{done['guid']}"
    assert b"finished" not in logs.read(f"{prefix}/1")  # killed before it could finish
    assert logs.read(f"{prefix}/2").count(b"finished") == 1

    # The victim's late report, over HTTP with a credential of its name: fenced (409).
    token = bootstrap.mint_dispatcher_credential(stack.settings, victim, "late report")
    with stack.client(token) as late:
        refused = late.post(
            f"/v1/dispatch/tasks/{done['guid']}:succeed", json={"attempt": 1, "detail": {}}
        )
    assert refused.status_code == 409 and refused.json()["current_attempt"] == 2, refused.text
    store = bootstrap.build_store(stack.settings, bootstrap.database_url(stack.settings))
    try:
        lost = Dispatchers(store).get(dispatcher_id_of(victim))
        assert lost is not None and lost.status == LOST
    finally:
        store.close()


def test_a_dispatcher_restarted_at_once_requeues_what_it_held_before(stack: Stack):
    name = f"phoenix-{uuid.uuid4().hex[:6]}"
    with stack.admin() as admin:
        tree = task_tree(admin, "restart")
        agent(admin, tree.org_path, "slow", "echo attempt-$SIGNALYARD_ATTEMPT; sleep 3")
        first = dispatcher_process(stack.settings, name)
        try:
            task = submit(admin, tree, "slow", timeout_seconds=120)
            wait_status(admin, tree, task["guid"], {"running"}, timeout=60)
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        with dispatcher_thread(stack.settings, name):  # the same dispatcher, back at once
            done = wait_status(admin, tree, task["guid"], {"succeeded", "failed"}, timeout=60)
        timeline = admin.get(f"{tree.project_path}/tasks/{task['guid']}/timeline").json()
    assert done["status"] == "succeeded" and done["attempt"] == 2, done
    requeued = [r for r in timeline["items"] if r["status"] == "queued" and r["attempt"] == 2]
    assert len(requeued) == 1 and requeued[0]["reason"] == f"dispatcher {name} restarted"
