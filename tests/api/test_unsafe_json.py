"""Numbers and strings JSON peers cannot carry are refused at the edge (422 naming the
field, nothing written); a JSON route refuses a body that is not JSON (415)."""

from __future__ import annotations

import pytest
from support.api import assert_problem, created, unique, writes_nothing

JSON = {"Content-Type": "application/json"}
SAFE = 9007199254740991  # 2^53 - 1


@pytest.fixture(scope="module")
def org(stack):
    with stack.admin() as client:
        return created(client.post("/v1/orgs", json={"name": unique("unsafe")}))["slug"]


def _config(content: str) -> bytes:
    return b'{"name": "n", "category": "llm", "content": ' + content.encode() + b"}"


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ('{"n": 18446744073709551616}', "content.n"),  # beyond 64 bits: orjson cannot render it
        ('{"n": 9007199254740992}', "content.n"),
        ('{"n": -9007199254740992}', "content.n"),
        ('{"deep": [1, {"x": 1e400}]}', "content.deep.1.x"),
        ('{"n": NaN}', "content.n"),
        ('{"n": -Infinity}', "content.n"),
        ('{"s": "\\ud800"}', "content.s"),
    ],
    ids=["65-bit", "2^53", "-2^53", "overflowing-float", "nan", "-infinity", "lone-surrogate"],
)
def test_unsafe_values_are_422_naming_the_field_before_anything_is_written(
    admin, stack, org, content, field
):
    with writes_nothing(stack):
        response = admin.post(f"/v1/orgs/{org}/configs", content=_config(content), headers=JSON)
    assert_problem(response, 422, field)


def test_the_largest_safe_integers_and_long_floats_are_accepted(admin, org):
    content = f'{{"max": {SAFE}, "min": -{SAFE}, "pi": 3.14159265358979323846, "big": 1e300}}'
    response = admin.post(f"/v1/orgs/{org}/configs", content=_config(content), headers=JSON)
    assert created(response)["content"] == {
        "max": SAFE,
        "min": -SAFE,
        "pi": 3.141592653589793,
        "big": 1e300,
    }


def test_every_json_route_is_guarded_not_only_configs(admin, stack, org):
    with writes_nothing(stack):
        response = admin.post(
            "/v1/tools/x:validate", content=b'{"input": [18446744073709551616]}', headers=JSON
        )
        assert_problem(response, 422, "input.0")
        response = admin.post(f"/v1/orgs/{org}/skills", content=b'{"n": 1e999}', headers=JSON)
        assert_problem(response, 422, "n")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_json_route_refuses_other_media_types_with_415(admin, stack, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    with writes_nothing(stack):
        response = admin.post("/v1/orgs", content=b'{"name": "x"}', headers=headers)
    assert_problem(response, 415)


@pytest.mark.parametrize("raw", [b"[null, null]", b'"files"', b"3"])
def test_an_upload_whose_json_is_not_an_object_is_422_not_500(admin, stack, org, raw):
    with writes_nothing(stack):
        response = admin.post(f"/v1/orgs/{org}/skills", content=raw, headers=JSON)
    assert_problem(response, 422, "body")


def test_a_large_json_body_is_parsed_off_the_event_loop_once(admin, monkeypatch):
    import asyncio
    import json as stdlib_json

    from api import edge

    parses: list[bool] = []
    original = stdlib_json.loads

    def recording_loads(body, *args, **kwargs):
        try:
            asyncio.get_running_loop()
            parses.append(True)  # on the event loop
        except RuntimeError:
            parses.append(False)  # in a worker thread
        return original(body, *args, **kwargs)

    monkeypatch.setattr(edge.json, "loads", recording_loads)  # the json module: every parse
    description = "x" * (edge.OFF_LOOP_BYTES + 1)
    response = admin.post("/v1/orgs", json={"name": unique("Big"), "description": description})
    assert response.status_code in (201, 422), response.text  # the domain may refuse the size
    assert parses == [False]
