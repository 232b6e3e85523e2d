"""A runtime target naming an infra service: while the health checker (the real one, its
probe against a real HTTP endpoint stopped and started here) holds the service unhealthy,
the target's tasks do not start; they wait, the task saying which service and why, and
run once a probe finds it healthy again."""

from __future__ import annotations

import http.server
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.api import created, make_tree
from support.dispatch import agent, dispatcher_thread, own_bus, relay_running, wait_status
from support.local_runtime import wait_until
from support.stack import Stack, bus_settings, free_port, running_stack

from signalyard import bootstrap


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def endpoint(port: int) -> Iterator[None]:
    server = http.server.HTTPServer(("127.0.0.1", port), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def stack(module_db_url: str, nats_bus: Any) -> Iterator[Stack]:
    runtime_dir = Path(tempfile.mkdtemp(prefix="signalyard-gate-"))
    runtime_dir.chmod(0o755)
    options = {
        **bus_settings(nats_bus),
        **own_bus(),
        "runtime_dir": runtime_dir,
        "dispatcher_heartbeat_seconds": 0.5,
        "dispatcher_sweep_seconds": 0.5,
    }
    with running_stack(module_db_url, **options) as running, relay_running(running.settings):
        yield running
    shutil.rmtree(runtime_dir, ignore_errors=True)


def _probe_round(stack: Stack, checker: Any, minutes: int) -> None:
    """One round of the real checker, as if its interval had passed."""
    checker.run_once(now=datetime.now(tz=UTC) + timedelta(minutes=minutes))


def test_tasks_of_a_target_whose_service_is_unhealthy_wait_then_run_when_it_recovers(stack):
    port = free_port()
    store = bootstrap.build_store(stack.settings, bootstrap.database_url(stack.settings))
    checker = bootstrap.build_health_checker(
        stack.settings.with_overrides(health_unhealthy_after=1), store
    )
    try:
        with stack.admin() as admin:
            tree = make_tree(admin, "gated")
            service = created(
                admin.post(
                    f"{tree.org_path}/infra-services",
                    json={
                        "name": "Cluster API",
                        "service_type": "http",
                        "connection_url": f"http://127.0.0.1:{port}/healthz",
                    },
                )
            )
            body = {
                "name": "Gated",
                "backend_type": "local",
                "is_default": True,
                "infra_service": service["slug"],
            }
            target = created(admin.post(f"{tree.org_path}/runtime-targets", json=body))
            assert target["infra_service"] == service["guid"]
            agent(admin, tree.org_path, "hello", "echo hello")
            _probe_round(stack, checker, 1)  # nothing listens: unhealthy
            sent = admin.post(
                f"{tree.project_path}/tasks", json={"brief": "b", "agent_definition": "hello"}
            )
            assert sent.status_code == 202, sent.text
            url = f"{tree.project_path}/tasks/{sent.json()['guid']}"
            with dispatcher_thread(stack.settings):
                assert wait_until(lambda: admin.get(url).json()["waiting_reason"], 20)
                waiting = admin.get(url).json()
                with endpoint(port):
                    _probe_round(stack, checker, 2)  # healthy again
                    done = wait_status(admin, tree, waiting["guid"], {"succeeded", "failed"}, 60)
            timeline = admin.get(f"{url}/timeline").json()["items"]
            refused = admin.post(
                f"{tree.org_path}/runtime-targets",
                json={"name": "Other", "backend_type": "local", "infra_service": "nope"},
            )
    finally:
        store.close()
    assert waiting["status"] == "dispatched"
    reason = waiting["waiting_reason"]
    assert "runtime target gated" in reason and service["slug"] in reason
    assert "unhealthy" in reason
    assert done["status"] == "succeeded" and done["waiting_reason"] is None
    assert [e["event"] for e in timeline].count("Waiting") == 1
    assert refused.status_code == 422 and "infra_service" in refused.text
