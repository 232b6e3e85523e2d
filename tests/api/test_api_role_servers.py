"""`signalyard api --role`: a command server answers writes and refuses reads, a query
server answers reads (its caller's own writes included) and refuses writes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.api import unique
from support.stack import Stack, running_stack


@pytest.fixture(scope="module")
def commands(api_db_url: str, stack: Stack) -> Iterator[Stack]:
    with running_stack(api_db_url, projections=False, api_role="commands") as running:
        yield running


@pytest.fixture(scope="module")
def queries(api_db_url: str, stack: Stack) -> Iterator[Stack]:
    with running_stack(api_db_url, projections=False, api_role="queries") as running:
        yield running


def test_writes_go_to_the_command_app_and_reads_to_the_query_app(commands, queries):
    with commands.admin() as writer, queries.admin() as reader:
        org = writer.post("/v1/orgs", json={"name": unique("Split")})
        assert org.status_code == 201, org.text
        slug = org.json()["slug"]
        read = reader.get(f"/v1/orgs/{slug}")  # its caller's own write, read elsewhere
        assert read.status_code == 200 and read.json()["slug"] == slug
        assert reader.get("/v1/orgs", params={"page_size": 5}).status_code == 200
        assert reader.get("/openapi.json").status_code == 200


def test_the_command_app_refuses_reads(commands):
    with commands.admin() as client:
        listing = client.get("/v1/orgs")  # the path takes writes here: 405, Allow names them
        assert listing.status_code == 405
        assert "GET" not in listing.headers["Allow"] and "POST" in listing.headers["Allow"]
        assert client.get("/v1/me").status_code == 404  # a path with reads only
        assert client.get("/healthz").status_code == 200


def test_the_query_app_refuses_writes_and_keeps_no_idempotency_key(commands, queries):
    body, key = {"name": unique("Refused")}, {"Idempotency-Key": unique("key")}
    with queries.admin() as reader, commands.admin() as writer:
        refused = reader.post("/v1/orgs", json=body, headers=key)
        assert refused.status_code == 405 and refused.headers["Allow"] == "GET"
        org = writer.post("/v1/orgs", json={"name": unique("Kept")}).json()["slug"]
        match = {"If-Match": '"1"'}
        for method, path in (
            ("PATCH", f"/v1/orgs/{org}"),
            ("DELETE", f"/v1/orgs/{org}"),
            ("POST", f"/v1/orgs/{org}:undelete"),
            ("POST", f"/v1/orgs/{org}/teams"),
        ):
            answer = reader.request(method, path, json={"name": "n"}, headers=match)
            assert answer.status_code in (404, 405), (method, path, answer.text)
        assert reader.get(f"/v1/orgs/{org}").json()["version"] == 1  # nothing changed
        # The same key on the command app is a first request, not a replay of the 405.
        assert writer.post("/v1/orgs", json=body, headers=key).status_code == 201
