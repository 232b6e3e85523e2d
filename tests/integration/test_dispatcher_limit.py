"""SIGNALYARD_DISPATCHER_MAX_CONCURRENT: a dispatcher at its limit claims nothing more; the
next queued task is claimed only once a running attempt has ended, and a cancel of a running
attempt, stuck on the bus behind that waiting task, still stops it (by the sweep)."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

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
from support.stack import Stack, bus_settings, running_stack


@pytest.fixture(scope="module")
def stack(module_db_url: str, nats_bus: Any) -> Iterator[Stack]:
    runtime_dir = Path(tempfile.mkdtemp(prefix="signalyard-limit-"))
    runtime_dir.chmod(0o755)
    options = {
        **bus_settings(nats_bus),
        **own_bus(),
        "runtime_dir": runtime_dir,
        "runtime_kill_grace_seconds": 0.5,
        "dispatcher_heartbeat_seconds": 0.5,
        "dispatcher_sweep_seconds": 0.5,
        "dispatcher_max_concurrent": 1,
    }
    with running_stack(module_db_url, **options) as running, relay_running(running.settings):
        yield running
    shutil.rmtree(runtime_dir, ignore_errors=True)


def _moved_to(admin: Any, tree: Any, guid: str, status: str) -> datetime:
    timeline = admin.get(f"{tree.project_path}/tasks/{guid}/timeline").json()["items"]
    return next(datetime.fromisoformat(row["at"]) for row in timeline if row["status"] == status)


def test_a_dispatcher_at_its_limit_claims_the_next_task_only_when_one_ends(stack):
    with stack.admin() as admin:
        tree = task_tree(admin, "limit")
        agent(admin, tree.org_path, "sleeper", "sleep 60")
        agent(admin, tree.org_path, "hello", "echo hello")
        with dispatcher_thread(stack.settings):
            first = submit(admin, tree, "sleeper", timeout_seconds=120)
            wait_status(admin, tree, first["guid"], {"running"})
            second = submit(admin, tree, "hello")
            time.sleep(1.5)  # room for a dispatcher without the limit to claim it meanwhile
            waiting = admin.get(f"{tree.project_path}/tasks/{second['guid']}").json()
            admin.post(f"{tree.project_path}/tasks/{first['guid']}:cancel", json={})
            ended = wait_status(admin, tree, first["guid"], {"cancelled"})
            done = wait_status(admin, tree, second["guid"], {"succeeded", "failed"})
        cancelled_at = _moved_to(admin, tree, first["guid"], "cancelled")
        claimed_at = _moved_to(admin, tree, second["guid"], "dispatched")
    assert waiting["status"] == "queued", waiting
    assert ended["status"] == "cancelled" and done["status"] == "succeeded", done
    assert claimed_at >= cancelled_at
