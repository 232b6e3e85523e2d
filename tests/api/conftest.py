from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from support.stack import Stack, start_stack


@pytest.fixture(scope="module")
def stack(module_db_url: str) -> Iterator[Stack]:
    running = start_stack(module_db_url)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def admin(stack: Stack) -> Iterator[httpx.Client]:
    with stack.admin() as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_user(admin: httpx.Client, name: str | None = None) -> tuple[str, str]:
    """Register a user and issue it a token; returns (guid, token)."""
    slug = unique(name or "user")
    created = admin.post("/v1/users", json={"name": slug, "slug": slug})
    assert created.status_code == 201, created.text
    guid = created.json()["guid"]
    issued = admin.post(f"/v1/users/{guid}/tokens", json={"name": "test"})
    assert issued.status_code == 201, issued.text
    return guid, issued.json()["token"]


def read_after(response: httpx.Response) -> dict[str, str]:
    """Query params that make a read wait for the write in `response`."""
    return {"min_position": response.headers["X-Signalyard-Position"]}
