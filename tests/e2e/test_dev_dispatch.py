"""`signalyard dev` runs tasks with a dispatcher that acts as itself: dev mints its
credential at start and hands it over in the environment (never on a command line); the
task's claim is recorded with the dispatcher as actor, not `system`."""

from __future__ import annotations

import time

import httpx
import pytest
from support.dev_tree import DevProcess, dev_environment
from support.stack import free_port

pytestmark = pytest.mark.slow

TOKEN = "syd_dev_dispatch_token_0123456789abcdef"


def test_dev_runs_a_task_through_its_own_dispatchers_credential(service_dir):
    port = free_port()
    dev = DevProcess(service_dir / "state", port, dev_environment(SIGNALYARD_BOOTSTRAP_TOKEN=TOKEN))
    try:
        dev.wait_ready(timeout=240)
        api = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        org = "/v1/orgs/acme"
        for path, body in (
            ("/v1/orgs", {"name": "Acme"}),
            (f"{org}/teams", {"name": "Platform"}),
            (f"{org}/teams/platform/workspaces", {"name": "Main"}),
            (f"{org}/teams/platform/workspaces/main/projects", {"name": "Demo"}),
            (
                f"{org}/runtime-targets",
                {"name": "Local", "backend_type": "local", "is_default": True},
            ),
            (
                f"{org}/agent-definitions",
                {
                    "name": "hello",
                    "image": "busybox:1",
                    "cmd_override": ["/bin/sh", "-c", "echo hi"],
                },
            ),
        ):
            assert api.post(path, json=body).status_code == 201, path
        project = f"{org}/teams/platform/workspaces/main/projects/demo"
        task = api.post(f"{project}/tasks", json={"brief": "b", "agent_definition": "hello"}).json()
        deadline, status = time.monotonic() + 120, ""
        while time.monotonic() < deadline and status not in ("succeeded", "failed"):
            time.sleep(0.25)
            status = api.get(f"{project}/tasks/{task['guid']}").json()["status"]
        assert status == "succeeded", dev.output()
        history = api.get(f"{project}/tasks/{task['guid']}/history").json()["items"]
        claimed = next(e for e in history if e["type"].endswith(".Claimed"))
        assert claimed["actor"] not in (None, "system")
        credentials = api.get("/v1/dispatcher-credentials").json()["items"]
        assert [c["name"] for c in credentials] == ["signalyard dev"]
        dispatcher = dev.child("dispatcher")
        assert dispatcher is not None
        assert "sydd_" not in " ".join(dispatcher.cmdline())  # in its environment only
        assert "sydd_" not in dev.output()
    finally:
        assert dev.interrupt() == 0, dev.output()
