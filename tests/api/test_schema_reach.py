"""Over HTTP, a schema can make the server reach nothing outside it: a `$ref` to a network
address or a file is refused when written, and one stored before that rule is never
fetched when a document is validated (a real listener counts every connection)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from support.api import assert_problem, created, etag_of, unique, writes_nothing
from support.listener import listening

from domain.catalog.config_category import ConfigCategory
from domain.catalog.tooldef import ToolDef
from domain.plumbing.store import EventStore
from signalyard import bootstrap


def with_ref(ref: str) -> dict:
    return {"type": "object", "properties": {"x": {"$ref": ref}}}


def tool_body(schema: dict) -> dict:
    return {"name": unique("Reach"), "input_schema": schema, "handler_ref": "python:t:run"}


@pytest.fixture
def secret_ref(tmp_path) -> tuple[str, str]:
    """A file the server could read, whose content must never come back."""
    secret = f"sekrit-{uuid.uuid4().hex}"
    path = tmp_path / "secret.json"
    path.write_text(json.dumps({"const": secret}))
    return path.as_uri(), secret


@contextmanager
def event_store(stack) -> Iterator[EventStore]:
    store = bootstrap.build_store(stack.settings, bootstrap.database_url(stack.settings))
    try:
        yield store
    finally:
        store.close()


META = {"actor": None, "correlation_id": None, "causation_id": None, "tenant_id": None}


def test_refs_to_the_network_are_refused_on_every_write_and_nothing_connects(admin, stack):
    org = created(admin.post("/v1/orgs", json={"name": unique("reach")}))["slug"]
    kept = admin.post("/v1/tools", json=tool_body({"type": "object"}))
    with listening() as listener:
        evil = with_ref(listener.url + "/x.json")
        with writes_nothing(stack):
            for path in ("/v1/tools", f"/v1/orgs/{org}/tools"):
                refused = admin.post(path, json=tool_body(evil))
                body = assert_problem(refused, 422, "input_schema.properties.x.$ref")
                assert listener.url in body["detail"]
            assert_problem(
                admin.patch(
                    f"/v1/tools/{created(kept)['guid']}",
                    json={"input_schema": evil},
                    headers={"If-Match": etag_of(kept)},
                ),
                422,
                "input_schema.properties.x.$ref",
            )
            assert_problem(
                admin.put(f"/v1/orgs/{org}/config-categories/llm", json={"schema": evil}),
                422,
                "schema.properties.x.$ref",
            )
    assert listener.connections == []


def test_a_file_ref_is_refused_and_its_content_never_answered(admin, stack, secret_ref):
    uri, secret = secret_ref
    org = created(admin.post("/v1/orgs", json={"name": unique("reach")}))["slug"]
    responses = [
        admin.post("/v1/tools", json=tool_body(with_ref(uri))),
        admin.put(f"/v1/orgs/{org}/config-categories/llm", json={"schema": with_ref(uri)}),
    ]
    for response in responses:
        assert response.status_code == 422, response.text
        assert secret not in response.text


def test_validation_never_fetches_a_ref_stored_before_refs_were_checked(admin, stack, secret_ref):
    uri, secret = secret_ref
    org = created(admin.post("/v1/orgs", json={"name": unique("reach")}))
    with listening() as listener:
        legacy = {
            "type": "object",
            "properties": {"x": {"$ref": listener.url + "/x.json"}, "y": {"$ref": uri}},
        }
        with event_store(stack) as store:
            tool = ToolDef(
                organization_id=None,
                name="Legacy",
                slug=f"legacy-{uuid.uuid4().hex[:8]}",
                description="",
                input_schema=legacy,
                handler_ref="python:t:run",
                adapter_ref=None,
                meta=META,
            )
            category = ConfigCategory(
                id=ConfigCategory.create_id(uuid.UUID(org["guid"]), "llm"),
                organization_id=uuid.UUID(org["guid"]),
                name="llm",
                slug="llm",
                description="",
                schema=legacy,
                meta=META,
            )
            store.record(tool, category)
        responses = [
            admin.post(f"/v1/tools/{tool.id}:validate", json={"input": {"x": 1}}),
            admin.post(f"/v1/tools/{tool.id}:validate", json={"input": {"y": 1}}),
            admin.post(
                f"/v1/orgs/{org['slug']}/configs",
                json={"name": "c", "category": "llm", "content": {"x": 1, "y": 2}},
            ),
        ]
    for response in responses:
        assert response.status_code == 422, response.text
        assert secret not in response.text
    assert listener.connections == []
