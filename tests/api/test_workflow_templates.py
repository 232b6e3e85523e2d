"""Workflow templates over HTTP: a draft edited under If-Match, publish validation naming
the stage and field, immutable numbered versions, diff, rollback, RBAC."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

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


def make_org(admin) -> tuple[str, dict]:
    """An org with an agent definition `coder` (2 versions) and a config `llm`."""
    org = created(admin.post("/v1/orgs", json={"name": unique("wft")}))["slug"]
    base = f"/v1/orgs/{org}"
    coder = created(
        admin.post(f"{base}/agent-definitions", json={"name": "Coder", "image": "a/c:1"})
    )
    created(admin.post(f"{base}/agent-definitions/coder/versions", json={"image": "a/c:2"}))
    llm = created(
        admin.post(f"{base}/configs", json={"name": "LLM", "category": "llm", "content": {"m": 1}})
    )
    return org, {"coder": coder["guid"], "llm": llm["guid"]}


def stages() -> list[dict]:
    return [
        {
            "name": "plan",
            "order": 1,
            "stage_type": "agent_task",
            "agent_definition": {"ref": "coder", "version": 1},
            "brief": "Plan {context.repo}",
            "configs": ["llm"],
            "inputs": {"repo": "context.repo"},
        },
        {
            "name": "approve",
            "order": 2,
            "stage_type": "approval",
            "brief": "Ship {stages.plan.output.summary}?",
            "approval": {"roles": ["maintainer"]},
            "on_failure": {"action": "compensate", "compensation_stage": "plan"},
        },
    ]


SCHEMA = {"type": "object", "properties": {"repo": {"type": "string"}}, "required": ["repo"]}


def make_template(admin, org: str, **draft):
    body = {"name": "Ship", "draft": {"input_schema": SCHEMA, "stages": stages(), **draft}}
    return admin.post(f"/v1/orgs/{org}/workflow-templates", json=body)


def test_draft_publish_versions_diff_rollback_round_trip(admin):
    org, ids = make_org(admin)
    made = make_template(admin, org, default_config={"model": "fast"})
    template = created(made)
    base = f"/v1/orgs/{org}/workflow-templates/ship"
    assert made.headers["Location"].endswith(f"/workflow-templates/{template['guid']}")
    assert not template["is_published"] and template["current_version"] == 0
    assert template["content"] is None and template["draft"]["stages"][0]["name"] == "plan"

    first = admin.post(f"{base}/versions", headers={"If-Match": etag_of(made)})
    v1 = created(first)
    assert first.headers["Location"].endswith("/versions/1") and v1["is_current"]
    plan, approve = v1["content"]["stages"]
    assert plan["agent_definition"] == {"guid": ids["coder"], "version": 1}
    assert plan["configs"] == [{"guid": ids["llm"], "version": "latest"}]
    assert approve["approval"] == {"roles": ["maintainer"]} and approve["skills"] == []
    assert v1["content"]["input_schema"] == SCHEMA
    assert v1["content"]["default_config"] == {"model": "fast"}
    again = admin.post(f"{base}/versions")
    assert again.status_code == 200 and again.json()["version_number"] == 1

    current = admin.get(base, params=read_after(first))
    assert current.json()["is_published"] and current.json()["default_config"] == {"model": "fast"}
    patched = admin.patch(
        f"{base}/draft",
        json={"default_config": {"model": "slow"}},
        headers={"If-Match": etag_of(current)},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["draft"]["default_config"] == {"model": "slow"}
    assert patched.json()["default_config"] == {"model": "fast"}  # the published one
    second = created(admin.post(f"{base}/versions"))
    assert second["version_number"] == 2

    diff = admin.get(f"{base}/diff", params={"from": 1, "to": 2})
    assert diff.status_code == 200, diff.text
    assert diff.json()["changes"] == [
        {"op": "replace", "path": "/default_config/model", "old": "fast", "new": "slow"}
    ]
    pinned = admin.get(f"{base}/versions/1").json()
    assert pinned["content"] == v1["content"] and not pinned["is_current"]
    assert admin.get(f"{base}/versions/latest").json()["version_number"] == 2
    listed = admin.get(f"{base}/versions").json()["items"]
    assert [(v["version_number"], v["is_current"]) for v in listed] == [(1, False), (2, True)]

    now = admin.get(base)
    rolled = admin.post(f"{base}:rollback", json={"version": 1}, headers={"If-Match": etag_of(now)})
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["current_version"] == 1 and rolled.json()["latest_version"] == 2
    after = admin.get(base, params=read_after(rolled)).json()
    assert after["content"] == v1["content"] and after["default_config"] == {"model": "fast"}
    types = [h["type"] for h in admin.get(f"{base}/history").json()["items"]]
    assert types == [
        "WorkflowTemplate.Created",
        "WorkflowTemplate.DraftSaved",
        "WorkflowTemplate.VersionPublished",
        "WorkflowTemplate.DraftSaved",
        "WorkflowTemplate.VersionPublished",
        "WorkflowTemplate.RolledBack",
    ]


def test_draft_writes_need_the_current_version(admin, stack):
    org, _ = make_org(admin)
    made = make_template(admin, org)
    created(made)
    draft = f"/v1/orgs/{org}/workflow-templates/ship/draft"
    with writes_nothing(stack):
        assert_problem(admin.put(draft, json={"stages": []}), 428)
        stale = admin.put(draft, json={"stages": []}, headers={"If-Match": '"1"'})
        assert assert_problem(stale, 412)["current_version"] == int(etag_of(made).strip('"'))
    read = admin.get(draft, params=read_after(made))
    assert read.json()["stages"][1]["name"] == "approve" and etag_of(read) == etag_of(made)

    def replace(order: int) -> int:
        body = {"stages": [{**stages()[1], "order": order, "on_failure": None}]}
        with stack.admin() as client:
            return client.put(draft, json=body, headers={"If-Match": etag_of(made)}).status_code

    with ThreadPoolExecutor(4) as pool:
        answers = sorted(pool.map(replace, range(10, 14)))
    assert answers == [200, 412, 412, 412]
    kept = admin.get(draft, params=read_after(made)).json()
    assert len(kept["stages"]) == 1 and kept["stages"][0]["order"] in range(10, 14)


def test_a_fault_at_publish_names_the_stage_and_field_and_writes_nothing(admin, stack):
    org, _ = make_org(admin)
    broken = stages()
    broken[1]["inputs"] = {"summary": "stages.later.output.text"}
    broken.append(
        {"name": "later", "order": 3, "stage_type": "wait_for_event", "event": {"signal": "go"}}
    )
    made = make_template(admin, org, stages=broken)
    created(made)
    base = f"/v1/orgs/{org}/workflow-templates/ship"
    cases = {
        "stages[1].inputs.summary": None,
        "stages[0].agent_definition": {"ref": "nobody"},
        "stages[0].agent_definition.version": {"ref": "coder", "version": 3},
        "stages[0].inputs.repo": "context.branch",
        "stages[1].approval.roles[0]": "viewer",
    }
    current = made
    for field, change in cases.items():
        if change is not None:
            fixed = stages()
            if field.startswith("stages[0].agent_definition"):
                fixed[0]["agent_definition"] = change
            elif field == "stages[0].inputs.repo":
                fixed[0]["inputs"] = {"repo": change}
            else:
                fixed[1]["approval"] = {"roles": [change]}
            current = admin.put(
                f"{base}/draft",
                json={"input_schema": SCHEMA, "stages": fixed},
                headers={"If-Match": etag_of(current)},
            )
            assert current.status_code == 200, current.text
        with writes_nothing(stack):
            assert_problem(admin.post(f"{base}/versions"), 422, field)
    listed = admin.get(f"{base}/versions", params=read_after(current)).json()["items"]
    assert listed == []


def test_bad_drafts_are_refused_on_save(admin, stack):
    org, _ = make_org(admin)
    templates = f"/v1/orgs/{org}/workflow-templates"
    with writes_nothing(stack):
        assert_problem(admin.post(templates, json={"name": "A", "draft": {"stages": 3}}), 422)
        assert_problem(
            admin.post(templates, json={"name": "A", "draft": {"stages": ["x"]}}),
            422,
            "draft.stages.0",
        )
        assert_problem(admin.post(templates, json={"name": "A", "category": "Not Slug"}), 422)
        assert_problem(admin.post(templates, json={"name": "A", "extra": 1}), 422)


def test_unknown_versions_and_roles(admin, stack):
    org, _ = make_org(admin)
    made = make_template(admin, org)
    created(made)
    base = f"/v1/orgs/{org}/workflow-templates/ship"
    published = created(admin.post(f"{base}/versions"))
    assert published["version_number"] == 1
    assert_problem(admin.get(f"{base}/versions/7", params=read_after(made)), 404)
    assert_problem(admin.get(f"{base}/diff", params={"from": 1, "to": 7}), 404)
    _, viewer_token, granted = add_member(admin, org, "viewer")
    _, maintainer_token, _ = add_member(admin, org, "maintainer")
    _, outsider_token = new_user(admin, "outsider")
    with stack.client(viewer_token) as viewer:
        read = viewer.get(base, params=read_after(granted))
        assert read.status_code == 200 and read.json()["latest_version"] == 1
        assert_problem(viewer.post(f"{base}/versions"), 403)
        assert_problem(
            viewer.patch(f"{base}/draft", json={"stages": []}, headers={"If-Match": etag_of(read)}),
            403,
        )
    with stack.client(maintainer_token) as maintainer:
        read = maintainer.get(base, params=read_after(granted))
        changed = maintainer.patch(
            f"{base}/draft", json={"default_config": {"x": 1}}, headers={"If-Match": etag_of(read)}
        )
        assert changed.status_code == 200, changed.text
        assert created(maintainer.post(f"{base}/versions"))["version_number"] == 2
    with stack.client(outsider_token) as outsider:
        assert_problem(outsider.get(base), 404)
        assert_problem(outsider.get(f"/v1/orgs/{org}/workflow-templates"), 404)
        assert_problem(outsider.post(f"{base}/versions"), 404)


def test_list_filters_and_delete(admin):
    org, _ = make_org(admin)
    templates = f"/v1/orgs/{org}/workflow-templates"
    last = None
    for name, category in (("Release", "ops"), ("Triage", "support"), ("Release B", "ops")):
        last = admin.post(templates, json={"name": name, "category": category})
        created(last)
    ops = admin.get(templates, params={"category": "ops", **read_after(last)}).json()["items"]
    assert [t["name"] for t in ops] == ["Release", "Release B"]
    assert [t["name"] for t in admin.get(templates, params={"q": "tria"}).json()["items"]] == [
        "Triage"
    ]
    triage = admin.get(f"{templates}/triage")
    gone = admin.delete(f"{templates}/triage", headers={"If-Match": etag_of(triage)})
    assert gone.status_code == 200 and gone.json()["deleted_at"]
    listed = admin.get(templates, params=read_after(gone)).json()["items"]
    assert [t["name"] for t in listed] == ["Release", "Release B"]
    assert_problem(admin.post(f"{templates}/triage/versions"), 404)


TEMPLATE = "/v1/orgs/{org}/workflow-templates/{template}"
ROUTES = {
    "/v1/orgs/{org}/workflow-templates": {"get", "post"},
    TEMPLATE: {"get", "patch", "delete"},
    TEMPLATE + "/draft": {"get", "put", "patch"},
    TEMPLATE + "/versions": {"get", "post"},
    TEMPLATE + "/versions/{number}": {"get"},
    TEMPLATE + "/diff": {"get"},
    TEMPLATE + "/history": {"get"},
    TEMPLATE + ":rollback": {"post"},
    TEMPLATE + ":undelete": {"post"},
}


def test_the_openapi_document_describes_routes_and_the_version_content(stack):
    with stack.client() as anonymous:
        spec = anonymous.get("/openapi.json").json()
    for path, methods in ROUTES.items():
        assert methods <= set(spec["paths"].get(path, {})), path
    publish = spec["paths"][TEMPLATE + "/versions"]["post"]["responses"]
    assert {"200", "201", "422"} <= set(publish)
    schemas = spec["components"]["schemas"]
    stage = schemas["WorkflowStage"]["properties"]
    assert set(stage) == {
        "name",
        "order",
        "stage_type",
        "agent_definition",
        "agent_image",
        "brief",
        "skills",
        "configs",
        "secrets",
        "inputs",
        "timeout_seconds",
        "on_failure",
        "approval",
        "event",
    }
    assert stage["stage_type"]["enum"] == ["agent_task", "approval", "wait_for_event"]
    actions = schemas["OnFailure"]["properties"]["action"]["enum"]
    assert actions == ["retry", "skip", "abort", "compensate"]
