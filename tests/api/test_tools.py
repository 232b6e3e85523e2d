"""Tool definitions over HTTP: the platform catalog and organization tools, schema checks
and sample-input validation."""

from __future__ import annotations

from support.api import (
    add_member,
    assert_problem,
    created,
    etag_of,
    new_user,
    read_after,
    unique,
    writes_nothing,
)

SCHEMA = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "minLength": 1},
        "limit": {"type": "integer", "minimum": 1, "maximum": 50},
    },
    "required": ["query"],
    "additionalProperties": False,
}


def tool_body(name: str, **extra) -> dict:
    return {
        "name": name,
        "input_schema": SCHEMA,
        "handler_ref": "python:tools.search:run",
        "adapter_ref": "http-json",
        **extra,
    }


def test_platform_catalog_admins_write_everyone_reads(admin, stack):
    name = unique("Web search")
    made = admin.post("/v1/tools", json=tool_body(name))
    tool = created(made)
    assert tool["organization_id"] is None and tool["input_schema"] == SCHEMA
    assert made.headers["Location"] == f"/v1/tools/{tool['guid']}"
    _, token = new_user(admin, "anyone")
    with stack.client(token) as anyone:
        read = anyone.get(f"/v1/tools/{tool['slug']}", params=read_after(made))
        assert read.status_code == 200 and read.json()["handler_ref"] == "python:tools.search:run"
        assert tool["guid"] in [t["guid"] for t in anyone.get("/v1/tools").json()["items"]]
        ok = anyone.post(f"/v1/tools/{tool['slug']}:validate", json={"input": {"query": "q"}})
        assert ok.status_code == 200 and ok.json() == {"valid": True, "errors": []}
        with writes_nothing(stack):
            assert_problem(anyone.post("/v1/tools", json=tool_body("Mine")), 403)
            assert_problem(
                anyone.patch(
                    f"/v1/tools/{tool['slug']}", json={"name": "x"}, headers={"If-Match": '"1"'}
                ),
                403,
            )


def test_validate_reports_every_violation_with_a_pointer(admin):
    tool = created(admin.post("/v1/tools", json=tool_body(unique("Search"))))
    response = admin.post(
        f"/v1/tools/{tool['guid']}:validate",
        json={"input": {"limit": 100, "verbose": True}},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["valid"] is False
    assert [e["path"] for e in result["errors"]] == ["", "", "/limit"]
    messages = " ".join(e["message"] for e in result["errors"])
    assert "'query' is a required property" in messages and "verbose" in messages
    not_object = admin.post(f"/v1/tools/{tool['guid']}:validate", json={"input": [1]})
    assert not_object.json()["valid"] is False
    assert_problem(admin.post(f"/v1/tools/{tool['guid']}:validate", json={}), 422, "input")


def test_org_tools_admins_write_members_read_outsiders_404(admin, stack):
    org = created(admin.post("/v1/orgs", json={"name": unique("tools")}))["slug"]
    made = admin.post(f"/v1/orgs/{org}/tools", json=tool_body("Ticket lookup"))
    tool = created(made)
    assert made.headers["Location"] == f"/v1/orgs/{tool['organization_id']}/tools/{tool['guid']}"
    base = f"/v1/orgs/{org}/tools/ticket-lookup"
    _, member_token, granted = add_member(admin, org, "member")
    _, outsider_token = new_user(admin, "outsider")
    with stack.client(member_token) as member:
        assert member.get(base, params=read_after(granted)).status_code == 200
        valid = member.post(f"{base}:validate", json={"input": {"query": "T-1"}})
        assert valid.json()["valid"] is True
        assert_problem(member.post(f"/v1/orgs/{org}/tools", json=tool_body("Mine")), 403)
    with stack.client(outsider_token) as outsider:
        assert_problem(outsider.get(base), 404)
        assert_problem(outsider.post(f"{base}:validate", json={"input": {}}), 404)
        assert_problem(outsider.get(f"/v1/orgs/{org}/tools"), 404)
    # An organization's tool is not in the platform catalog.
    assert_problem(admin.get(f"/v1/tools/{tool['guid']}"), 404)
    listed = admin.get(f"/v1/orgs/{org}/tools").json()["items"]
    assert [t["slug"] for t in listed] == ["ticket-lookup"]


def test_invalid_input_schema_is_refused_and_nothing_stored(admin, stack):
    org = created(admin.post("/v1/orgs", json={"name": unique("tools")}))["slug"]
    with writes_nothing(stack):
        bad = admin.post(
            f"/v1/orgs/{org}/tools", json=tool_body("Bad", input_schema={"type": "strin"})
        )
        assert_problem(bad, 422, "input_schema/type")
        nested = admin.post(
            f"/v1/orgs/{org}/tools",
            json=tool_body("Bad", input_schema={"properties": {"n": {"maxLength": -1}}}),
        )
        assert_problem(nested, 422, "input_schema/properties/n/maxLength")
        unknown = admin.post(
            f"/v1/orgs/{org}/tools",
            json=tool_body("Bad", input_schema={"$schema": "https://example.com/s"}),
        )
        assert_problem(unknown, 422, "input_schema.$schema")
        spaced = admin.post(f"/v1/orgs/{org}/tools", json=tool_body("Bad", handler_ref="a b"))
        assert_problem(spaced, 422, "handler_ref")


def test_patch_history_delete_undelete(admin):
    org = created(admin.post("/v1/orgs", json={"name": unique("tools")}))["slug"]
    made = admin.post(f"/v1/orgs/{org}/tools", json=tool_body("Search"))
    base = f"/v1/orgs/{org}/tools/search"
    narrower = {**SCHEMA, "properties": {"query": {"type": "string", "maxLength": 10}}}
    changed = admin.patch(
        base,
        json={"input_schema": narrower, "adapter_ref": None},
        headers={"If-Match": etag_of(made)},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["adapter_ref"] is None
    too_long = admin.post(f"{base}:validate", json={"input": {"query": "x" * 11}})
    assert too_long.json()["valid"] is False
    assert_problem(
        admin.patch(
            base, json={"input_schema": {"type": 1}}, headers={"If-Match": etag_of(changed)}
        ),
        422,
        "input_schema/type",
    )
    deleted = admin.delete(base, headers={"If-Match": etag_of(changed)})
    assert deleted.status_code == 200
    assert_problem(admin.get(base, params=read_after(deleted)), 404)
    assert_problem(admin.post(f"{base}:validate", json={"input": {}}), 404)
    restored = admin.post(f"{base}:undelete")
    assert admin.get(base, params=read_after(restored)).status_code == 200
    types = [h["type"] for h in admin.get(f"{base}/history").json()["items"]]
    assert types == ["ToolDef.Created", "ToolDef.Updated", "ToolDef.Deleted", "ToolDef.Undeleted"]
