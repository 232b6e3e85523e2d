"""Tasks (issue 14), against a `signalyard dev` tree whose local dispatcher may run 50
attempts at once: tasks submitted over HTTP beside the same run's bare endpoint and storage
floor (bench/stack.py's references), then the dispatch figures of bench/dispatch.py.

The no-op agent is `/bin/true` (`bench/noop:1` mapped by SIGNALYARD_RUNTIME_IMAGE_COMMANDS);
`bench/sleep:1` sleeps, for the memory of a dispatcher with 50 running attempts.
"""

from __future__ import annotations

import json

import httpx
import psutil

from bench import dispatch, load
from bench.populate import Tenant, head, wait_for_projections
from bench.servers import (
    CpuSplit,
    Server,
    api_child,
    dev_child,
    start_bare,
    start_dev,
    start_floor,
)
from bench.stack import PROJECTIONS, _per_request, setup_tenant

CONCURRENT = 50  # the dispatcher's SIGNALYARD_DISPATCHER_MAX_CONCURRENT in this section
IMAGES = {
    dispatch.NOOP: ["/bin/true"],
    dispatch.SLEEP: ["/bin/sleep", "600"],
}
TASK_BODY = {"brief": dispatch.BRIEF, "agent_image": dispatch.NOOP}


def submit_http(
    dev: Server, bare: Server, tenant: Tenant, url: str, tasks_url: str, *, quick: bool
) -> dict:
    """16 and 64 connections: the bare endpoint, task submits to the API, the dispatcher's
    backlog drained (it runs every submitted task meanwhile and after), the storage floor
    (project creates, as in the stack section), and the projections caught up."""
    seconds = 3.0 if quick else 10.0
    bare_url = bare.base_url + tenant.projects_path
    floor = start_floor(url, str(tenant.org_id), str(tenant.team_id), str(tenant.ws_id))
    floor_url = floor.base_url + tenant.projects_path
    api_proc, dev_proc = api_child(dev), psutil.Process(dev.pid)
    out: dict = {}
    try:
        load.run_load(tasks_url, connections=8, seconds=1.0, token=tenant.token, body=TASK_BODY)
        load.run_load(bare_url, connections=8, seconds=1.0)
        load.run_load(floor_url, connections=8, seconds=1.0)
        dispatch.drain(url, timeout=600)
        for connections in (16, 64):
            at_start = dispatch.load_average()
            bare_result = load.run_load(bare_url, connections=connections, seconds=seconds)
            with CpuSplit(api_proc, dev_proc) as cpu:
                api_result = load.run_load(
                    tasks_url,
                    connections=connections,
                    seconds=seconds,
                    token=tenant.token,
                    body=TASK_BODY,
                )
            drained = dispatch.drain(url, timeout=1800)
            floor_result = load.run_load(floor_url, connections=connections, seconds=seconds)
            wait_for_projections(url, head(url), PROJECTIONS, timeout=600)
            out[f"c{connections}"] = {
                "bare": bare_result.as_dict(),
                "api": api_result.as_dict(),
                "floor": floor_result.as_dict(),
                "api_cpu_ms_per_request": _per_request(cpu, api_result),
                "cpu_share_pct": cpu.shares,
                "backlog_drained_after_s": drained["seconds"],
                "load_average": [at_start, dispatch.load_average()],
            }
    finally:
        floor.stop()
    return out


def prepare_tenant(dev: Server) -> tuple[Tenant, str]:
    """The stack section's tenant, with an org default runtime target (local)."""
    tenant = setup_tenant(dev.base_url)
    headers = {"Authorization": f"Bearer {tenant.token}"}
    with httpx.Client(base_url=dev.base_url, timeout=30, headers=headers) as api:
        api.post(
            f"/v1/orgs/{tenant.org}/runtime-targets",
            json={"name": "Local", "backend_type": "local", "is_default": True},
        ).raise_for_status()
    return tenant, f"{dev.base_url}{tenant.projects_path}/{tenant.project}/tasks"


def run(db, *, quick: bool) -> dict:
    url = db.new_database("tasks")
    out: dict = {"max_concurrent": CONCURRENT, "dev_starts": 0}
    while True:  # at load average 30-40 on 2 cores the tree once took minutes to start
        out["dev_starts"] += 1
        try:
            dev = start_dev(
                url,
                SIGNALYARD_RUNTIME_IMAGE_COMMANDS=json.dumps(IMAGES),
                SIGNALYARD_DISPATCHER_MAX_CONCURRENT=str(CONCURRENT),
                SIGNALYARD_DISPATCHER_NAME="bench-local",
                SIGNALYARD_DEV_START_TIMEOUT_SECONDS="280",
            )
            break
        except RuntimeError:
            if out["dev_starts"] == 3:
                raise
    bare = start_bare()
    try:
        tenant, tasks_url = prepare_tenant(dev)
        out["http"] = submit_http(dev, bare, tenant, url, tasks_url, quick=quick)
        with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {tenant.token}"}) as api:
            submit = dispatch.Submitter(api, tasks_url)
            out["latency"] = dispatch.latency(submit, url, count=30 if quick else 100)
            out["throughput"] = dispatch.throughput(
                submit, url, count=200 if quick else 500, concurrent=CONCURRENT
            )
            out["runtime_alone"] = dispatch.runtime_alone(
                count=200 if quick else 500, concurrent=CONCURRENT, starts=30
            )
            # Last: the tree is stopped with these attempts running (their namespaces die
            # with the dispatcher).
            dispatcher = dev_child(dev, "dispatcher", "--runtime", "local")
            out["memory"] = dispatch.memory(submit, url, dispatcher, running=CONCURRENT)
    finally:
        bare.stop()
        dev.stop()
        db.drop(url)
    return out
