"""Dispatch under faults, on the real services: NATS stopped for 30 s while tasks are
submitted (each runs exactly once when it returns), and cancels raced against claims (each
task ends cancelled, having run at most once and never left running)."""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from support.dispatch import (
    agent,
    dispatcher_thread,
    own_bus,
    relay_running,
    submit,
    task_tree,
    wait_status,
)
from support.local_runtime import wait_until
from support.stack import Stack, bus_settings, running_stack

from signalyard.embedded import EmbeddedNats
from signalyard.runtimes import log_store

NATS_DOWN_SECONDS = 30


@pytest.fixture(scope="module")
def own_nats() -> Iterator[EmbeddedNats]:
    """A NATS of this module's own: stopping it disturbs no other test."""
    base = Path(tempfile.mkdtemp(prefix="signalyard-test-"))
    base.chmod(0o755)
    try:
        with EmbeddedNats(base / "nats") as server:
            yield server
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def stack(module_db_url: str, own_nats: EmbeddedNats) -> Iterator[Stack]:
    runtime_dir = Path(tempfile.mkdtemp(prefix="signalyard-dispatch-faults-"))
    runtime_dir.chmod(0o755)
    options = {
        **bus_settings(own_nats),
        **own_bus(),
        "runtime_dir": runtime_dir,
        "runtime_kill_grace_seconds": 0.5,
        "dispatcher_heartbeat_seconds": 0.5,
        "dispatcher_sweep_seconds": 0.5,
        "dispatcher_lost_after_seconds": 60.0,  # the outage must not make it lost
    }
    with running_stack(module_db_url, **options) as running, relay_running(running.settings):
        yield running
    shutil.rmtree(runtime_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def tree(stack: Stack) -> Any:
    with stack.admin() as admin:
        made = task_tree(admin, "faults")
        agent(admin, made.org_path, "once", "echo ran-$SIGNALYARD_TASK_ID")
        agent(admin, made.org_path, "sleeper", "echo started; exec sleep 60")
        return made


def _log(stack: Stack, task: dict, attempt: int = 1) -> bytes:
    key = f"{task['organization_id']}/{task['project_id']}/{task['guid']}/{attempt}"
    try:
        return log_store(stack.settings).read(key)
    except (FileNotFoundError, LookupError):
        return b""


def _claims(admin: Any, tree: Any, guid: str) -> list[int]:
    rows = admin.get(f"{tree.project_path}/tasks/{guid}/timeline").json()["items"]
    return [r["attempt"] for r in rows if r["status"] == "dispatched"]


def _attempt_running(task_guid: str) -> bool:
    for process in psutil.process_iter(["cwd"]):
        if task_guid in (process.info["cwd"] or ""):
            return True
    return False


def test_tasks_submitted_while_nats_is_down_each_run_once_when_it_returns(
    stack: Stack, tree: Any, own_nats: EmbeddedNats
):
    with stack.admin() as admin, dispatcher_thread(stack.settings):
        warm = submit(admin, tree, "once")  # the dispatcher takes work before the outage
        assert wait_status(admin, tree, warm["guid"], {"succeeded", "failed"})["attempt"] == 1
        own_nats.stop()
        try:
            tasks = [submit(admin, tree, "once", input={"n": n}) for n in range(6)]
            time.sleep(NATS_DOWN_SECONDS)
            held = [admin.get(f"{tree.project_path}/tasks/{t['guid']}").json() for t in tasks]
            assert {t["status"] for t in held} == {"queued"}  # nothing reached a dispatcher
        finally:
            own_nats.start()
        done = [
            wait_status(admin, tree, t["guid"], {"succeeded", "failed"}, timeout=120) for t in tasks
        ]
        claims = {t["guid"]: _claims(admin, tree, t["guid"]) for t in tasks}
    assert [d["status"] for d in done] == ["succeeded"] * len(tasks), done
    assert all(d["attempt"] == 1 for d in done)
    assert all(c == [1] for c in claims.values()), claims
    for task in done:
        assert _log(stack, task).count(f"ran-{task['guid']}".encode()) == 1


def test_a_cancel_raced_against_the_claim_ends_cancelled_and_runs_at_most_once(
    stack: Stack, tree: Any
):
    rounds = 12
    rng = random.Random(14)
    with stack.admin() as admin, dispatcher_thread(stack.settings):
        tasks = []
        for _ in range(rounds):
            task = submit(admin, tree, "sleeper", timeout_seconds=300)
            time.sleep(rng.uniform(0, 0.3))  # before, during or after the claim
            cancelled = admin.post(f"{tree.project_path}/tasks/{task['guid']}:cancel", json={})
            assert cancelled.status_code == 200, cancelled.text
            tasks.append(task)
        ended = [
            wait_status(admin, tree, t["guid"], {"cancelled", "succeeded", "failed"}, 60)
            for t in tasks
        ]
        claims = {t["guid"]: _claims(admin, tree, t["guid"]) for t in tasks}
    assert [e["status"] for e in ended] == ["cancelled"] * rounds, ended
    assert all(e["attempt"] == 1 for e in ended)
    assert all(c in ([], [1]) for c in claims.values()), claims
    for task in ended:
        assert wait_until(lambda guid=task["guid"]: not _attempt_running(guid), 10), task
        assert _log(stack, task).count(b"started") <= 1  # never a second run
