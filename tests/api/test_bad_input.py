"""Bad input gets a clear problem+json naming the field at fault, and nothing is written."""

from __future__ import annotations

import json

import pytest
from support.api import assert_problem, make_tree, unique, writes_nothing

LIMIT = 1_048_576  # SIGNALYARD_MAX_BODY_BYTES default


@pytest.fixture(scope="module")
def tree(stack):
    with stack.admin() as client:
        return make_tree(client)


def _collection(tree, kind: str) -> str:
    return {
        "org": "/v1/orgs",
        "team": f"{tree.org_path}/teams",
        "ws": f"{tree.team_path}/workspaces",
        "project": f"{tree.ws_path}/projects",
    }[kind]


def _entity(tree, kind: str) -> str:
    return {
        "org": tree.org_path,
        "team": tree.team_path,
        "ws": tree.ws_path,
        "project": tree.project_path,
    }[kind]


KINDS = ["org", "team", "ws", "project"]
BAD_SLUGS = ["Upper", "-lead", "trail-", "two words", "a" * 64, "ünï", "under_score", ""]

CREATE_CASES = [
    # (kind, body, field at fault)
    *[(kind, {}, "name") for kind in KINDS],
    *[(kind, {"name": 42}, "name") for kind in KINDS],
    *[(kind, {"name": ""}, "name") for kind in KINDS],
    *[(kind, {"name": "   "}, "name") for kind in KINDS],
    *[(kind, {"name": "x" * 201}, "name") for kind in KINDS],
    *[(kind, {"name": "x", "description": "d" * 4001}, "description") for kind in KINDS],
    *[(kind, {"name": "x", "description": ["d"]}, "description") for kind in KINDS],
    *[(kind, {"name": "x", "bogus": 1}, "bogus") for kind in KINDS],
    *[(kind, {"name": "x", "version": 3}, "version") for kind in KINDS],
    *[(kind, {"name": "x", "slug": slug}, "slug") for kind in KINDS for slug in BAD_SLUGS],
    *[(kind, {"name": "x", "slug": 7}, "slug") for kind in KINDS],
    ("org", {"name": "x", "website": "ftp://example.com"}, "website"),
    ("org", {"name": "x", "website": "not a url"}, "website"),
    ("org", {"name": "x", "website": 5}, "website"),
    ("ws", {"name": "x", "is_active": "maybe"}, "is_active"),
    ("ws", {"name": "x", "is_active": [True]}, "is_active"),
    # A JSON API takes JSON types: no "true" strings or 1 for booleans.
    ("ws", {"name": "x", "is_active": "true"}, "is_active"),
    ("ws", {"name": "x", "is_active": 1}, "is_active"),
    ("project", {"name": "x", "settings": [1, 2]}, "settings"),
    ("project", {"name": "x", "settings": "{}"}, "settings"),
    ("project", {"name": "x", "settings": {"blob": "x" * 70_000}}, "settings"),
    ("team", {"name": "x", "settings": {}}, "settings"),  # only projects have settings
]


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [pytest.param(*case, id=f"{case[0]}-{case[2]}-{i}") for i, case in enumerate(CREATE_CASES)],
)
def test_invalid_create_bodies_are_422_naming_the_field(admin, stack, tree, kind, body, field):
    with writes_nothing(stack):
        response = admin.post(_collection(tree, kind), json=body)
    problem = assert_problem(response, 422, field)
    assert problem["detail"]
    assert all(e["message"] for e in problem["errors"])


PATCH_CASES = [
    *[(kind, {"name": None}, "name") for kind in KINDS],
    *[(kind, {"name": ""}, "name") for kind in KINDS],
    *[(kind, {"name": 1.5}, "name") for kind in KINDS],
    *[(kind, {"slug": None}, "slug") for kind in KINDS],
    *[(kind, {"slug": "Not OK"}, "slug") for kind in KINDS],
    *[(kind, {"guid": "00000000-0000-0000-0000-000000000000"}, "guid") for kind in KINDS],
    *[(kind, {"created_by": "me"}, "created_by") for kind in KINDS],
    ("org", {"website": "javascript:alert(1)"}, "website"),
    ("team", {"website": "https://x.example"}, "website"),
    ("ws", {"is_active": None}, "is_active"),
    ("ws", {"is_active": "sometimes"}, "is_active"),
    ("ws", {"is_active": "false"}, "is_active"),
    ("ws", {"is_active": 0}, "is_active"),
    ("ws", {"organization_id": "00000000-0000-0000-0000-000000000000"}, "organization_id"),
    ("project", {"settings": None}, "settings"),
    ("project", {"settings": 3}, "settings"),
    ("project", {"workspace_id": "00000000-0000-0000-0000-000000000000"}, "workspace_id"),
]


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [pytest.param(*case, id=f"{case[0]}-{case[2]}-{i}") for i, case in enumerate(PATCH_CASES)],
)
def test_invalid_patch_bodies_are_422_naming_the_field(admin, stack, tree, kind, body, field):
    with writes_nothing(stack):
        response = admin.patch(_entity(tree, kind), json=body, headers={"If-Match": '"1"'})
    assert_problem(response, 422, field)


@pytest.mark.parametrize(
    "raw",
    [b"{", b"not json", b'{"name": "x",}', b"[]", b'"just a string"', b"null", b""],
    ids=["truncated", "text", "trailing-comma", "array", "string", "null", "empty"],
)
def test_bodies_that_are_not_a_json_object_are_422(admin, stack, raw):
    with writes_nothing(stack):
        response = admin.post("/v1/orgs", content=raw, headers={"Content-Type": "application/json"})
    problem = assert_problem(response, 422)
    assert problem["errors"] and all(e["field"] for e in problem["errors"])
    assert not any(e["field"].isdigit() for e in problem["errors"]), problem


def test_a_body_over_the_limit_is_413_and_writes_nothing(admin, stack, tree):
    big = json.dumps({"name": "x", "description": "d" * (LIMIT + 10)}).encode()
    with writes_nothing(stack):
        response = admin.post("/v1/orgs", content=big, headers={"Content-Type": "application/json"})
        problem = assert_problem(response, 413)
        assert str(LIMIT) in problem["detail"]
        patch = admin.patch(
            tree.project_path,
            content=big,
            headers={"Content-Type": "application/json", "If-Match": '"1"'},
        )
        assert_problem(patch, 413)


def test_a_chunked_body_over_the_limit_is_413_too(admin, stack):
    def chunks():
        yield b'{"name": "x", "description": "'
        for _ in range(20):
            yield b"d" * 65_536
        yield b'"}'

    with writes_nothing(stack):
        response = admin.post(
            "/v1/orgs", content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_problem(response, 413)


def test_a_body_just_under_the_limit_reaches_validation(admin, stack):
    body = json.dumps({"name": "x", "description": "d" * (LIMIT - 100)}).encode()
    assert len(body) <= LIMIT
    with writes_nothing(stack):
        response = admin.post(
            "/v1/orgs", content=body, headers={"Content-Type": "application/json"}
        )
    assert_problem(response, 422, "description")


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"page_size": 0}, 422, "page_size"),
        ({"page_size": 201}, 422, "page_size"),
        ({"page_size": "ten"}, 422, "page_size"),
        ({"page_token": "garbage!"}, 400, "page_token"),
        ({"page_token": "cDp4"}, 400, "page_token"),  # base64 of "p:x"
        ({"page_token": "x" * 201}, 422, "page_token"),
        ({"min_position": -1}, 422, "min_position"),
        ({"min_position": "soon"}, 422, "min_position"),
        ({"show_deleted": "perhaps"}, 422, "show_deleted"),
    ],
)
def test_invalid_query_parameters(admin, params, status, field):
    assert_problem(admin.get("/v1/orgs", params=params), status, field)


def test_bad_role_names_and_bad_path_values(admin, stack, tree):
    with writes_nothing(stack):
        member = admin.put(f"{tree.org_path}/members/admin", json={"role": "superuser"})
        assert_problem(member, 422, "role")
        member = admin.put(f"{tree.org_path}/members/admin", json={"role": "owner", "x": 1})
        assert_problem(member, 422, "x")
        team_member = admin.put(f"{tree.team_path}/members/admin", json={"role": "owner"})
        assert_problem(team_member, 422, "role")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": None}, "slug"),
        ({"slug": "Bad Slug"}, "slug"),
        ({"name": None}, "name"),
        ({"role": None}, "role"),
        ({"role": "emperor"}, "role"),
        ({"members": []}, "members"),
    ],
)
def test_invalid_group_patches(admin, stack, body, field):
    tree = make_tree(admin)
    group = admin.post(f"{tree.org_path}/groups", json={"name": "Ops", "role": "member"})
    assert group.status_code == 201, group.text
    with writes_nothing(stack):
        response = admin.patch(
            f"{tree.org_path}/groups/ops", json=body, headers={"If-Match": group.headers["ETag"]}
        )
    assert_problem(response, 422, field)


def test_an_idempotency_key_that_is_too_long_is_400(admin, stack):
    with writes_nothing(stack):
        response = admin.post(
            "/v1/orgs", json={"name": unique("x")}, headers={"Idempotency-Key": "k" * 256}
        )
    assert_problem(response, 400)


def test_unknown_routes_and_methods_are_problems_too(admin):
    assert_problem(admin.get("/v1/nothing-here"), 404)
    assert_problem(admin.put("/v1/orgs", json={}), 405)
