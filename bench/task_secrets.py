"""What injecting secrets adds to a task's start: submit -> running of a no-op task with 5
secrets (local backend, as env variables) against the same task with none, on one
`signalyard dev` tree (API, relay, projections, its local dispatcher), taking turns one
task at a time. Both instants are the server's own (the Submitted and Started events'
timestamps, from the task's timeline), so polling adds nothing to them."""

from __future__ import annotations

import time

import httpx
import psycopg

from bench.servers import BOOTSTRAP_TOKEN, start_dev
from bench.stats import percentile

SECRETS = 5
_TIMELINE = (
    "SELECT event, at FROM rm_tasks.task_timeline WHERE task_id = %s"
    " AND event IN ('Submitted', 'Started')"
)


def _tree(api: httpx.Client) -> str:
    org = api.post("/v1/orgs", json={"name": "Bench Secrets"}).raise_for_status().json()
    base = f"/v1/orgs/{org['slug']}"
    team = api.post(f"{base}/teams", json={"name": "Platform"}).raise_for_status().json()
    ws = api.post(f"{base}/teams/{team['slug']}/workspaces", json={"name": "Main"})
    ws_path = f"{base}/teams/{team['slug']}/workspaces/{ws.raise_for_status().json()['slug']}"
    project = api.post(f"{ws_path}/projects", json={"name": "Runs"}).raise_for_status().json()
    target = {"name": "Local", "backend_type": "local", "is_default": True}
    api.post(f"{base}/runtime-targets", json=target).raise_for_status()
    definition = {"name": "noop", "image": "busybox:1", "cmd_override": ["/bin/true"]}
    api.post(f"{base}/agent-definitions", json=definition).raise_for_status()
    for n in range(SECRETS):
        body = {"name": f"KEY_{n}", "backend": "local", "value": f"bench-value-{n:02d}" * 3}
        api.post(f"{ws_path}/secrets", json=body).raise_for_status()
    return f"{ws_path}/projects/{project['slug']}/tasks"


def _run_one(api: httpx.Client, tasks: str, secrets: list[dict]) -> str:
    body = {"brief": "noop", "agent_definition": "noop", "secrets": secrets or None}
    guid = api.post(tasks, json=body).raise_for_status().json()["guid"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = api.get(f"{tasks}/{guid}").json()["status"]
        if status in ("succeeded", "failed", "timed_out", "cancelled"):
            if status != "succeeded":
                raise RuntimeError(f"bench task {guid} ended {status}")
            return guid
        time.sleep(0.02)
    raise RuntimeError(f"bench task {guid} did not finish")


def _latency_ms(url: str, guid: str) -> float:
    with psycopg.connect(url) as conn:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            seen = dict(conn.execute(_TIMELINE, (guid,)).fetchall())
            if len(seen) == 2:
                return (seen["Started"] - seen["Submitted"]).total_seconds() * 1000
            time.sleep(0.05)
    raise RuntimeError(f"task {guid} has no Started in its timeline")


def _summary(samples: list[float]) -> dict:
    return {
        "tasks": len(samples),
        "p50_ms": percentile(samples, 50),
        "p99_ms": percentile(samples, 99),
    }


def run(db, *, quick: bool) -> dict:
    url = db.new_database("task_secrets")
    pairs = 15 if quick else 60
    dev = start_dev(url)
    try:
        headers = {"Authorization": f"Bearer {BOOTSTRAP_TOKEN}"}
        with httpx.Client(base_url=dev.base_url, headers=headers, timeout=30) as api:
            tasks = _tree(api)
            needs = [
                {"name": f"KEY_{n}", "as": "env", "env_var": f"KEY_{n}"} for n in range(SECRETS)
            ]
            _run_one(api, tasks, needs)  # warm: data key, vault client, first launch
            _run_one(api, tasks, [])
            runs: dict[str, list[str]] = {"with_5": [], "none": []}
            for _ in range(pairs):  # taking turns: the machine's drift hits both alike
                runs["with_5"].append(_run_one(api, tasks, needs))
                runs["none"].append(_run_one(api, tasks, []))
        result = {
            kind: _summary([_latency_ms(url, g) for g in guids]) for kind, guids in runs.items()
        }
        result["added_p50_ms"] = result["with_5"]["p50_ms"] - result["none"]["p50_ms"]
        return result
    finally:
        dev.stop()
        db.drop(url)
