"""The pull dispatcher on the real stack: tasks submitted over the API reach it through
JetStream, are claimed, really run on the local runtime (tiny shell commands) and end in
the status their command earns; cancel stops the process group; racing dispatchers run
each task once."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest
from standardwebhooks import Webhook
from support.dispatch import (
    agent,
    callback_sender,
    dispatcher_thread,
    own_bus,
    relay_running,
    submit,
    task_tree,
    wait_status,
)
from support.local_runtime import wait_until
from support.receiver import receiver
from support.stack import Stack, bus_settings, running_stack

from domain.infra.dispatcher_instance import dispatcher_id_of
from domain.infra.dispatchers import Dispatchers
from signalyard import bootstrap
from signalyard.runtimes import log_store

BEAT = "SELECT last_heartbeat FROM health.dispatchers WHERE name = %s"


@pytest.fixture(scope="module")
def stack(module_db_url: str, nats_bus: Any) -> Iterator[Stack]:
    runtime_dir = Path(tempfile.mkdtemp(prefix="signalyard-dispatch-"))
    runtime_dir.chmod(0o755)
    options = {
        **bus_settings(nats_bus),
        **own_bus(),
        "runtime_dir": runtime_dir,
        "runtime_kill_grace_seconds": 0.5,
        "dispatcher_heartbeat_seconds": 0.5,
        "dispatcher_sweep_seconds": 0.5,
        "dispatcher_lost_after_seconds": 3.0,
        "callback_allowed_hosts": "127.0.0.1",
    }
    with (
        running_stack(module_db_url, **options) as running,
        relay_running(running.settings),
        callback_sender(running.settings),
    ):
        yield running
    shutil.rmtree(runtime_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def tree(stack: Stack) -> Any:
    with stack.admin() as admin:
        made = task_tree(admin, "dispatch")
        org = made.org_path
        agent(admin, org, "hello", 'echo "hello from $SIGNALYARD_TASK_INPUT"; cat brief.md')
        agent(admin, org, "broken", "echo about to fail >&2; exit 3")
        agent(admin, org, "sleeper", "echo sleeping-$0; sleep 60")
        agent(admin, org, "ticker", "for i in 1 2 3 4; do echo tick-$i; sleep 0.5; done")
        return made


def _log(stack: Stack, task: dict, attempt: int = 1) -> bytes:
    key = f"{task['organization_id']}/{task['project_id']}/{task['guid']}/{attempt}"
    return log_store(stack.settings).read(key)


def test_a_submitted_task_runs_and_succeeds_with_its_log_readable(stack, tree):
    with stack.admin() as admin, dispatcher_thread(stack.settings):
        task = submit(admin, tree, "hello", input={"n": 1}, brief="the brief text")
        done = wait_status(admin, tree, task["guid"], {"succeeded", "failed"})
    assert done["status"] == "succeeded", done
    assert done["result"] == {"exit_code": 0}
    log = _log(stack, done)
    assert b'hello from {"n": 1}' in log and b"the brief text" in log
    with stack.admin() as admin:
        read = admin.get(f"{tree.project_path}/tasks/{task['guid']}/logs")
        tail = admin.get(f"{tree.project_path}/tasks/{task['guid']}/logs", params={"offset": 6})
        other = task_tree(admin, "elsewhere")
        wrong_project = admin.get(f"{other.project_path}/tasks/{task['guid']}/logs")
    assert read.status_code == 200 and read.content == log
    assert read.headers["content-type"].startswith("text/plain")
    assert read.headers["X-Signalyard-Next-Offset"] == str(len(log))
    assert tail.content == log[6:]
    assert wrong_project.status_code == 404


def test_a_running_attempts_log_is_followed_until_it_ends(stack, tree):
    with stack.admin() as admin, dispatcher_thread(stack.settings):
        task = submit(admin, tree, "ticker")
        wait_status(admin, tree, task["guid"], {"running"})
        url = f"{tree.project_path}/tasks/{task['guid']}/logs"
        with admin.stream("GET", url, params={"follow": "true"}) as streamed:
            chunks = [chunk for chunk in streamed.iter_bytes() if chunk]
        done = wait_status(admin, tree, task["guid"], {"succeeded", "failed"})
    assert done["status"] == "succeeded"
    assert b"".join(chunks) == b"tick-1\ntick-2\ntick-3\ntick-4\n"
    assert len(chunks) > 1  # streamed as written, not read at the end


def test_heartbeats_stay_out_of_the_event_log(stack):
    store = bootstrap.build_store(stack.settings, bootstrap.database_url(stack.settings))
    try:
        with dispatcher_thread(stack.settings) as running:
            with psycopg.connect(bootstrap.database_url(stack.settings)) as conn:
                assert wait_until(lambda: conn.execute(BEAT, (running.name,)).fetchone(), 15)
                first = conn.execute(BEAT, (running.name,)).fetchone()
                time.sleep(3)  # six heartbeats at 0.5 s
                last = conn.execute(BEAT, (running.name,)).fetchone()
            instance = Dispatchers(store).get(dispatcher_id_of(running.name))
    finally:
        store.close()
    assert first is not None and last is not None and last[0] > first[0]
    assert instance is not None and instance.version == 1  # Registered, and nothing since


def test_a_failing_command_fails_naming_its_exit_code(stack, tree):
    with stack.admin() as admin, dispatcher_thread(stack.settings):
        task = submit(admin, tree, "broken")
        done = wait_status(admin, tree, task["guid"], {"succeeded", "failed"})
    assert done["status"] == "failed"
    assert done["error"]["exit_code"] == 3 and "code 3" in done["error"]["message"]
    assert b"about to fail" in _log(stack, done)


def test_a_command_past_its_timeout_is_timed_out(stack, tree):
    with stack.admin() as admin, dispatcher_thread(stack.settings):
        task = submit(admin, tree, "sleeper", timeout_seconds=1)
        done = wait_status(admin, tree, task["guid"], {"timed_out", "succeeded", "failed"})
    assert done["status"] == "timed_out", done


def _attempt_processes(task_guid: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cwd"]):
        try:
            if task_guid in (process.info["cwd"] or ""):
                found.append(process)
        except psutil.Error:
            continue
    return found


def test_cancelling_a_running_task_stops_its_process_group(stack, tree):
    with stack.admin() as admin, dispatcher_thread(stack.settings):
        task = submit(admin, tree, "sleeper", timeout_seconds=120)
        wait_status(admin, tree, task["guid"], {"running"})
        deadline = time.monotonic() + 10
        while not _attempt_processes(task["guid"]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _attempt_processes(task["guid"]), "the attempt never started a process"
        sent = admin.post(f"{tree.project_path}/tasks/{task['guid']}:cancel", json={})
        assert sent.status_code in (200, 202), sent.text
        done = wait_status(admin, tree, task["guid"], {"cancelled", "failed", "succeeded"})
    assert done["status"] == "cancelled", done
    assert not _attempt_processes(task["guid"])


def test_two_racing_dispatchers_run_each_task_exactly_once(stack, tree):
    with stack.admin() as admin:
        with dispatcher_thread(stack.settings) as one, dispatcher_thread(stack.settings) as two:
            tasks = [submit(admin, tree, "hello", input={"i": i}) for i in range(6)]
            done = [wait_status(admin, tree, t["guid"], {"succeeded", "failed"}) for t in tasks]
        timelines = [
            admin.get(f"{tree.project_path}/tasks/{t['guid']}/timeline").json()["items"]
            for t in tasks
        ]
    assert [d["status"] for d in done] == ["succeeded"] * 6
    for task, timeline in zip(tasks, timelines, strict=True):
        claims = [row for row in timeline if row["status"] == "dispatched"]
        assert len(claims) == 1 and done[0]["attempt"] == 1
        assert _log(stack, task).count(b"hello from") == 1
    claimers = {d["dispatcher_id"] for d in done}
    assert claimers <= {one.name, two.name}


def test_a_terminal_status_is_called_back_signed_as_a_cloudevent(stack, tree):
    with stack.admin() as admin, receiver([200]) as hook:
        secret = admin.post(f"{tree.org_path}/callback-signing-key:rotate").json()["secret"]
        with dispatcher_thread(stack.settings):
            task = submit(admin, tree, "broken", callback_url=hook.url)
            wait_status(admin, tree, task["guid"], {"failed"})
            deadline = time.monotonic() + 20
            while not hook.got and time.monotonic() < deadline:
                time.sleep(0.05)
    assert len(hook.got) == 1, "no callback arrived"
    Webhook(secret).verify(hook.got[0].body, hook.got[0].headers)
    event = json.loads(hook.got[0].body)
    assert event["type"] == "io.signalyard.task.failed.v1"
    assert event["data"]["task_id"] == task["guid"] and event["data"]["attempt"] == 1
    assert event["data"]["status"] == "failed"


def test_dev_revokes_the_credential_it_minted_at_its_previous_start(fresh_db_url, tmp_path):
    from domain.core.errors import Unauthenticated
    from domain.infra.dispatch import DispatchService
    from signalyard import bootstrap
    from signalyard.settings import Settings

    settings = Settings(database_url=fresh_db_url, data_dir=tmp_path)
    bootstrap.prepare(settings)
    kept = tmp_path / "dev-dispatcher-credential.id"
    first = bootstrap.mint_dispatcher_credential(settings, "dev-local", "signalyard dev", kept)
    second = bootstrap.mint_dispatcher_credential(settings, "dev-local", "signalyard dev", kept)
    store = bootstrap.build_store(settings, fresh_db_url)
    try:
        service = DispatchService(store)
        assert service.authenticate(second).dispatcher_name == "dev-local"
        with pytest.raises(Unauthenticated):
            service.authenticate(first)
    finally:
        store.close()
