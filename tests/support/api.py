"""Helpers for the API tests: users, trees, problem assertions, write counting."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
from psycopg import sql

from support.stack import Stack

PROBLEM = "application/problem+json"


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


def etag_of(response: httpx.Response) -> str:
    return response.headers["ETag"]


# -- proving that nothing was written ---------------------------------------------------
_counting: dict[str, psycopg.Connection] = {}


def release_counting_connection(url: str) -> None:
    counting = _counting.pop(url, None)
    if counting is not None:
        counting.close()


def event_count(stack: Stack) -> int:
    """Rows in the event store: every command that writes appends at least one."""
    url = stack.settings.database_url
    assert url is not None
    conn = _counting.get(url)
    if conn is None or conn.closed:
        conn = _counting[url] = psycopg.connect(url, autocommit=True)
    table = sql.Identifier(stack.settings.event_schema, "signalyard_events")
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
    assert row is not None
    return row[0]


@contextmanager
def writes_nothing(stack: Stack) -> Iterator[None]:
    before = event_count(stack)
    yield
    assert event_count(stack) == before, "a rejected request appended events"


# -- problem+json ---------------------------------------------------------------------
def assert_problem(
    response: httpx.Response, status: int, field: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (naming `field` if given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["type"] == "about:blank"
    assert body["instance"] == response.request.url.path
    if field is not None:
        fields = [e["field"] for e in body.get("errors") or []]
        assert field in fields, body
    return body


# -- building a tenancy tree ----------------------------------------------------------
@dataclass
class Tree:
    org: dict
    team: dict
    ws: dict
    project: dict
    last_write: httpx.Response

    @property
    def org_path(self) -> str:
        return f"/v1/orgs/{self.org['slug']}"

    @property
    def team_path(self) -> str:
        return f"{self.org_path}/teams/{self.team['slug']}"

    @property
    def ws_path(self) -> str:
        return f"{self.team_path}/workspaces/{self.ws['slug']}"

    @property
    def project_path(self) -> str:
        return f"{self.ws_path}/projects/{self.project['slug']}"

    @property
    def read(self) -> dict[str, str]:
        return read_after(self.last_write)


def created(response: httpx.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def make_tree(client: httpx.Client, prefix: str = "acme") -> Tree:
    """org -> team -> workspace -> project, each addressed by slug."""
    org = created(client.post("/v1/orgs", json={"name": unique(prefix)}))
    base = f"/v1/orgs/{org['slug']}"
    team = created(client.post(f"{base}/teams", json={"name": "Platform"}))
    base += f"/teams/{team['slug']}"
    ws = created(client.post(f"{base}/workspaces", json={"name": "Main"}))
    base += f"/workspaces/{ws['slug']}"
    last = client.post(f"{base}/projects", json={"name": "Agents", "settings": {"a": 1}})
    return Tree(org, team, ws, created(last), last)


def add_member(
    admin: httpx.Client, org: str, role: str, team: str | None = None, team_role: str = "member"
) -> tuple[str, str, httpx.Response]:
    """A new user with `role` in `org` (and `team_role` in `team`): (guid, token, write)."""
    guid, token = new_user(admin, role)
    put = admin.put(f"/v1/orgs/{org}/members/{guid}", json={"role": role})
    assert put.status_code == 201, put.text
    if team is not None:
        put = admin.put(f"/v1/orgs/{org}/teams/{team}/members/{guid}", json={"role": team_role})
        assert put.status_code == 201, put.text
    return guid, token, put
