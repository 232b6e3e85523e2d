"""What reading your own writes costs: reads of one project while 16 connections create
projects, by the writing token (each read waits until the read models show that token's
last write), by another token (nothing to wait for), and by the writing token with
`consistency=eventual` (the same reads, opted out), each in its own create-load window."""

from __future__ import annotations

import threading

import httpx

from bench import load
from bench.populate import Tenant
from bench.servers import BOOTSTRAP_TOKEN

CREATE_CONNECTIONS = 16
READ_CONNECTIONS = 16


def other_token(base_url: str, tenant: Tenant) -> str:
    """A second user who may read the tenant's projects (org viewer)."""
    admin = httpx.Client(
        base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {BOOTSTRAP_TOKEN}"}
    )
    user = admin.post("/v1/users", json={"name": "Bench reader", "slug": "bench-reader"})
    user.raise_for_status()
    issued = admin.post(f"/v1/users/{user.json()['guid']}/tokens", json={"name": "reads"})
    token = issued.raise_for_status().json()["token"]
    owner = httpx.Client(
        base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {tenant.token}"}
    )
    owner.put(
        f"/v1/orgs/{tenant.org}/members/bench-reader", json={"role": "viewer"}
    ).raise_for_status()
    return token


def run(base_url: str, tenant: Tenant, *, seconds: float) -> dict:
    creates = base_url + tenant.projects_path
    read = f"{creates}/{tenant.project}"
    reader = other_token(base_url, tenant)
    cases = {
        "writer_session": (read, tenant.token),
        "other_token": (read, reader),
        "writer_eventual": (read + "?consistency=eventual", tenant.token),
    }
    out: dict = {"idle": {}, "under_create_load": {}}
    for name, (url, token) in cases.items():
        out["idle"][name] = load.run_load(
            url, connections=READ_CONNECTIONS, seconds=seconds, token=token, method="GET"
        ).as_dict()
    for name, (url, token) in cases.items():
        writes: dict = {}
        writer = threading.Thread(
            target=lambda writes=writes: writes.update(
                r=load.run_load(
                    creates, connections=CREATE_CONNECTIONS, seconds=seconds + 1, token=tenant.token
                )
            )
        )
        writer.start()
        reads = load.run_load(
            url, connections=READ_CONNECTIONS, seconds=seconds, token=token, method="GET"
        )
        writer.join()
        out["under_create_load"][name] = {
            "reads": reads.as_dict(),
            "creates": writes["r"].as_dict(),
        }
    return out
