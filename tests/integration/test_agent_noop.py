"""A real agent on the local runtime uses its attempt token: a small Python script, run by
the dispatcher, fetches its brief, appends output and completes with a result through the
agent API. The task ends with the agent's outcome; the dispatcher's own report of the
process's exit comes after it and is refused (fenced), so the agent's word stands."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.api import created
from support.dispatch import (
    dispatcher_thread,
    own_bus,
    relay_running,
    submit,
    task_tree,
    wait_status,
)
from support.local_runtime import PYTHON
from support.stack import Stack, bus_settings, running_stack

README = Path(__file__).resolve().parents[2] / "README.md"

AGENT = """
import json, os, sys, urllib.request
api, token = os.environ["SIGNALYARD_API_URL"], os.environ["SIGNALYARD_AGENT_TOKEN"]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

def call(method, path, body=None, kind="application/json"):
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        api + "/v1/agent/attempt" + path, data=data, method=method,
        headers={"Authorization": "Bearer " + token, "Content-Type": kind})
    with opener.open(request, timeout=20) as answer:
        return answer.read()

brief = call("GET", "/brief").decode()
attempt = json.loads(call("GET", ""))
print("on stdout", flush=True)
call("POST", "/output", ("agent read: " + brief + "\\n").encode(), "text/plain")
if sys.argv[1] == "complete":
    call("POST", ":complete", {"result": {"brief": brief, "input": attempt["input"]}})
else:
    call("POST", ":fail", {"message": "the form is missing"})
"""


@pytest.fixture(scope="module")
def stack(module_db_url: str, nats_bus: Any) -> Iterator[Stack]:
    runtime_dir = Path(tempfile.mkdtemp(prefix="signalyard-agent-"))
    runtime_dir.chmod(0o755)
    options = {
        **bus_settings(nats_bus),
        **own_bus(),
        "runtime_dir": runtime_dir,
        "runtime_kill_grace_seconds": 0.5,
        "dispatcher_heartbeat_seconds": 0.5,
        "dispatcher_sweep_seconds": 0.5,
    }
    with running_stack(module_db_url, **options) as running, relay_running(running.settings):
        yield running
    shutil.rmtree(runtime_dir, ignore_errors=True)


def readme_agent() -> str:
    """The README's minimal agent (its "Agent API" part), as written."""
    part = README.read_text().split("### Agent API", 1)[1]
    return part.split("```python\n", 1)[1].split("```", 1)[0]


def _agent(admin, org: str, slug: str, *command: str) -> None:
    body = {
        "name": slug,
        "slug": slug,
        "image": "acme/noop:1",
        "cmd_override": [PYTHON, "-c", *command],
        "default_cpu": "500m",
        "default_memory": "512Mi",
    }
    created(admin.post(f"{org}/agent-definitions", json=body))


@pytest.fixture(scope="module")
def tree(stack: Stack) -> Any:
    with stack.admin() as admin:
        made = task_tree(admin, "noop-agent")
        _agent(admin, made.org_path, "completer", AGENT, "complete")
        _agent(admin, made.org_path, "failer", AGENT, "fail")
        _agent(admin, made.org_path, "readme", readme_agent())
        return made


def _events(admin, tree, task: dict) -> list[str]:
    history = admin.get(f"{tree.project_path}/tasks/{task['guid']}/history").json()
    return [entry["type"] for entry in history["items"]]


def test_a_noop_agent_completes_through_the_api_and_its_result_stands(stack, tree):
    with stack.admin() as admin, dispatcher_thread(stack.settings):
        task = submit(admin, tree, "completer", brief="fill in form 7", input={"n": 7})
        done = wait_status(admin, tree, task["guid"], {"succeeded", "failed"})
        logs = admin.get(f"{tree.project_path}/tasks/{task['guid']}/logs")
        events = _events(admin, tree, task)
    assert done["status"] == "succeeded", done
    # The agent's result, not the dispatcher's {"exit_code": 0}: its later report was refused.
    assert done["result"] == {"brief": "fill in form 7", "input": {"n": 7}}
    assert b"agent read: fill in form 7\n" in logs.content and b"on stdout\n" in logs.content
    assert events.count("Task.Succeeded") == 1 and "Task.Failed" not in events


def test_an_agent_that_fails_through_the_api_then_exits_zero_stays_failed(stack, tree):
    with stack.admin() as admin, dispatcher_thread(stack.settings):
        task = submit(admin, tree, "failer", brief="fill in form 8")
        done = wait_status(admin, tree, task["guid"], {"succeeded", "failed"})
        events = _events(admin, tree, task)
    assert done["status"] == "failed", done
    assert done["error"] == {"message": "the form is missing", "reported_by": "agent"}
    assert "Task.Succeeded" not in events


def test_the_readme_agent_runs_as_written(stack, tree):
    with stack.admin() as admin, dispatcher_thread(stack.settings):
        task = submit(admin, tree, "readme", brief="summarise the quarter")
        done = wait_status(admin, tree, task["guid"], {"succeeded", "failed"})
        logs = admin.get(f"{tree.project_path}/tasks/{task['guid']}/logs")
    assert done["status"] == "succeeded", done
    assert done["result"] == {"summary": "summarise the quarter"}
    assert logs.content == b"working on it\n"
