"""Workflow instances on the processes `signalyard dev` runs (API, projections, relay, router,
workflow worker and a local dispatcher; embedded NATS and Temporal):

- instances started per second over HTTP at 16 connections (202s; each start is then routed
  to Temporal and begun by the worker meanwhile), beside Temporal's own start-workflow rate
  at 16 concurrent calls on the same dev server (the limit);
- the end-to-end time of a 3-stage agent_task instance with no-op agents (`true`), from its
  Requested event to its Finished event, and where it went, from the timestamps of
  Signalyard's events and Temporal's history: the agent (task started -> its outcome
  recorded), dispatch (task submitted -> started), the route (an event -> the signal in the
  workflow's history: the start and each task outcome) and Temporal (the rest: workflow
  tasks and activities)."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from bench.servers import BOOTSTRAP_TOKEN, free_port, wait_healthy
from bench.stats import percentile
from domain.identity.service import IdentityService
from domain.workflows.instance import WorkflowInstance
from domain.workflows.template_service import WorkflowTemplateService
from signalyard import bootstrap
from signalyard.embedded import EmbeddedNats, EmbeddedTemporal
from signalyard.settings import Settings
from workers.adapters.temporal_client import TemporalConfig, connect

CONNECTIONS = 16


def run(db: Any, quick: bool) -> dict:
    url = db.new_database("workflows")
    base = Path(tempfile.mkdtemp(prefix="signalyard-bench-workflows-"))
    base.chmod(0o755)
    try:
        with EmbeddedNats(base / "nats") as bus, EmbeddedTemporal(base / "temporal") as temporal:
            return _measure(url, bus, temporal.address, base, quick)
    finally:
        db.drop(url)
        shutil.rmtree(base, ignore_errors=True)


def _measure(url: str, bus: Any, address: str, base: Path, quick: bool) -> dict:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SIGNALYARD_", "NATS_"))},
        "DATABASE_URL": url,
        "NATS_URL": bus.url,
        "NATS_CREDS": str(bus.creds_path),
        "TEMPORAL_ADDRESS": address,
        "SIGNALYARD_PORT": str(port),
        "SIGNALYARD_BOOTSTRAP_TOKEN": BOOTSTRAP_TOKEN,
        "SIGNALYARD_BLOB_DIR": str(base / "blobs"),
        "SIGNALYARD_RUNTIME_DIR": str(base / "runtime"),
        "SIGNALYARD_WEBHOOK_SECRET_KEY": _key(),
        "SIGNALYARD_SECRETS_MASTER_KEY": _key(),
        "SIGNALYARD_WORKFLOW_ACTIVITY_THREADS": "16",
        "SIGNALYARD_LOG_LEVEL": "warning",
    }
    settings = Settings.from_env(env)
    bootstrap.prepare(settings)
    name = "bench-local"  # the dispatcher acts with a credential of its own
    token = bootstrap.mint_dispatcher_credential(settings, name, "bench")
    dispatcher_env = {
        **env,
        "SIGNALYARD_DISPATCHER_NAME": name,
        "SIGNALYARD_DISPATCHER_TOKEN": token,
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "signalyard", *args],
            env=dispatcher_env if args[0] == "dispatcher" else env,
            stdout=(base / f"{args[0]}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for args in (
            ["api"],
            ["projections", "run"],
            ["relay"],
            ["router"],
            ["worker"],
            ["dispatcher", "--runtime", "local"],
        )
    ]
    store = bootstrap.build_store(settings, url)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, processes[0], timeout=300)
        time.sleep(2)
        dead = [str(p.args[3]) for p in processes if p.poll() is not None]  # its subcommand
        if dead:
            log = (base / f"{dead[0]}.log").read_text()[-2000:]
            raise RuntimeError(f"exited at start: {dead}\n{log}")
        api = httpx.Client(
            base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {BOOTSTRAP_TOKEN}"}
        )
        project, org = _tree(api)
        admin = IdentityService(store).authenticate(BOOTSTRAP_TOKEN).context("bench")
        templates = WorkflowTemplateService(store)
        waiting = _template(templates, admin, org, [_approval()])
        three = _template(templates, admin, org, [_noop(n, i) for i, n in enumerate("abc")])
        seconds = 5.0 if quick else 15.0
        starts = asyncio.run(_http_starts(base_url, project, waiting, seconds))
        reference = asyncio.run(_temporal_starts(address, seconds))
        e2e = _end_to_end(api, store, address, project, three, 10 if quick else 40)
        return {"starts": starts, "temporal_starts": reference, "end_to_end": e2e}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        store.close()


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _tree(api: httpx.Client) -> tuple[str, str]:
    org = api.post("/v1/orgs", json={"name": f"Flows {uuid.uuid4().hex[:6]}"}).json()["slug"]
    base = f"/v1/orgs/{org}"
    api.post(f"{base}/runtime-targets", json={"name": "Local", "backend_type": "local",
                                               "is_default": True}).raise_for_status()  # fmt: skip
    api.post(
        f"{base}/agent-definitions",
        json={"name": "noop", "image": "busybox:1", "cmd_override": ["/bin/sh", "-c", "true"]},
    ).raise_for_status()
    team = api.post(f"{base}/teams", json={"name": "T"}).json()["slug"]
    ws = api.post(f"{base}/teams/{team}/workspaces", json={"name": "W"}).json()["slug"]
    path = f"{base}/teams/{team}/workspaces/{ws}/projects"
    project = api.post(path, json={"name": "P"}).json()["slug"]
    return f"{path}/{project}/workflow-instances", org


def _approval() -> dict:
    return {"name": "gate", "order": 1, "stage_type": "approval", "approval": {"roles": ["admin"]}}


def _noop(name: str, order: int) -> dict:
    return {
        "name": name,
        "order": order,
        "stage_type": "agent_task",
        "agent_definition": {"ref": "noop"},
        "brief": "nothing",
    }


def _template(service: WorkflowTemplateService, admin: Any, org: str, stages: list) -> str:
    made = service.create(admin, org, f"B {uuid.uuid4().hex[:6]}", draft={"stages": stages})
    service.publish(admin, org, str(made.guid))
    return str(made.guid)


async def _http_starts(base_url: str, path: str, template: str, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {BOOTSTRAP_TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        deadline = time.perf_counter() + seconds

        async def one_connection() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                sent = await client.post(path, json={"template": template})
                latencies.append((time.perf_counter() - started) * 1000)
                errors += sent.status_code != 202

        began = time.perf_counter()
        await asyncio.gather(*(one_connection() for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - began
    return _rate(latencies, errors, elapsed)


async def _temporal_starts(address: str, seconds: float) -> dict:
    """start_workflow calls at 16 at once (no worker: what the server takes, the limit)."""
    client = await connect(TemporalConfig(address), name="bench")
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    queue = f"bench-ref-{uuid.uuid4().hex[:6]}"

    async def one_caller() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await client.start_workflow("Reference", id=f"ref-{uuid.uuid4()}", task_queue=queue)
            latencies.append((time.perf_counter() - started) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(one_caller() for _ in range(CONNECTIONS)))
    return _rate(latencies, 0, time.perf_counter() - began)


def _rate(latencies: list[float], errors: int, elapsed: float) -> dict:
    return {
        "per_s": len(latencies) / elapsed,
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
    }


def _end_to_end(api: httpx.Client, store: Any, address: str, path: str, template: str, n: int):
    runs = []
    for i in range(n + 2):  # the first two warm up
        guid = UUID(api.post(path, json={"template": template}).json()["guid"])
        # The first waits behind the starts trial's backlog (hundreds of instances the router
        # and worker still begin), which the measured ones must not.
        deadline = time.monotonic() + (900 if i == 0 else 120)
        while _finished(store, guid) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"instance {guid} did not finish")
            time.sleep(0.05)
        runs.append(guid)
    splits = [asyncio.run(_split(store, address, g)) for g in runs[2:]]
    out: dict[str, Any] = {"instances": len(splits)}
    for key in ("total", "agent", "dispatch", "route", "temporal"):
        values = [s[key] for s in splits]
        out[key] = {"p50_ms": percentile(values, 50), "p99_ms": percentile(values, 99)}
    return out


def _finished(store: Any, guid: UUID) -> Any:
    store.cache.discard(guid)
    instance = store.find(guid, WorkflowInstance)
    return instance.status if instance is not None and instance.is_finished else None


def _at(event: Any) -> float:
    return event.timestamp.timestamp()


async def _split(store: Any, address: str, guid: UUID) -> dict[str, float]:
    from temporalio.api.enums.v1 import EventType

    events = store.history(guid)
    requested, finished = _at(events[0]), _at(events[-1])
    instance = store.find(guid, WorkflowInstance)
    client = await connect(TemporalConfig(address), name="bench")
    history = await client.get_workflow_handle(instance.temporal_wf_id).fetch_history()
    signals = [
        e.event_time.ToDatetime().timestamp()
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    agent = dispatch = route = 0.0
    route += (signals[0] - requested) * 1000  # the start signal (signal-with-start)
    task_ids = [e.task_id for e in _executions(store, guid)]
    for task_id, signalled in zip(task_ids, signals[1:], strict=False):
        task = {type(e).__name__: _at(e) for e in store.history(task_id)}
        dispatch += (task["Started"] - task["Submitted"]) * 1000
        agent += (task["Succeeded"] - task["Started"]) * 1000
        route += (signalled - task["Succeeded"]) * 1000
    total = (finished - requested) * 1000
    return {
        "total": total,
        "agent": agent,
        "dispatch": dispatch,
        "route": route,
        "temporal": total - agent - dispatch - route,
    }


def _executions(store: Any, guid: UUID) -> list[Any]:
    from domain.workflows.stage_execution import WorkflowStageExecution, execution_id

    found = []
    for event in store.history(guid):
        if type(event).__name__ == "StageEntered":
            key = execution_id(guid, 1, event.stage, event.attempt)
            found.append(store.find(key, WorkflowStageExecution))
    return found
