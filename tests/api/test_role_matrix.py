"""Every route of the OpenAPI document, sent by every role of the ladder (issue 11.6).

Allowed callers must not get 403 or 404 (a stale If-Match turns their changes into 412s, so
nothing they are allowed to do destroys the fixture); denied ones get 403, and a caller from
another organization gets 404 on every org-scoped route. Routes outside organizations answer
every org role alike: an org grant confers nothing there. Besides the org roles, callers
hold grants on the team, on the workspace or on the project of the paths.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest
from support.api import add_member, created, make_tree, new_user, read_after, unique
from support.skill_bundles import as_json_files, realistic_files, skill_md

from domain.core.context import system_context
from domain.routing.delivery_service import DeliveryReport, DeliveryService
from domain.routing.event_route import EventRoute
from signalyard.bootstrap import build_store, database_url

ORG = "/v1/orgs/{org}"
TEAM = ORG + "/teams/{team}"
WS = TEAM + "/workspaces/{ws}"
PROJECT = WS + "/projects/{project}"
SKILL = ORG + "/skills/{skill}"
CONFIG = ORG + "/configs/{config}"
TOOL = ORG + "/tools/{tool}"
GROUP = ORG + "/groups/{group}"
DELIVERIES = ORG + "/callback-deliveries"
INFRA = ORG + "/infra-services"
ROUTES = ORG + "/event-routes"
ROUTE = ROUTES + "/{route}"
TASK = PROJECT + "/tasks/{task}"
INSTANCES = PROJECT + "/workflow-instances"
INSTANCE = INSTANCES + "/{instance}"
DEFINITION = ORG + "/agent-definitions/{definition}"
WF_TEMPLATE = ORG + "/workflow-templates/{template}"
TARGETS = {scope: scope + "/runtime-targets" for scope in (ORG, WS, PROJECT)}
SECRET_SCOPES = (ORG + "/secrets", TEAM + "/secrets", WS + "/secrets")
# The agent API takes an attempt's token only: every user, whatever their role, gets 401.
AGENT = "/v1/agent/"
AGENT_ROUTES = {
    ("GET", "/v1/agent/attempt"),
    ("GET", "/v1/agent/attempt/brief"),
    ("GET", "/v1/agent/attempt/skills/{skill}/bundle"),
    ("GET", "/v1/agent/attempt/configs/{config}"),
    ("POST", "/v1/agent/attempt/progress"),
    ("POST", "/v1/agent/attempt/heartbeat"),
    ("POST", "/v1/agent/attempt/output"),
    ("POST", "/v1/agent/attempt:complete"),
    ("POST", "/v1/agent/attempt:fail"),
}

ORG_ROLES = ("owner", "admin", "maintainer", "operator", "member", "auditor", "viewer")
TEAM_GRANTS = {"team-maintainer": "maintainer", "team-operator": "operator"}
# Grants on the fixture's workspace and project (the grantee is an org `member`).
SCOPE_GRANTS = {
    "ws-maintainer": ("ws", "maintainer"),
    "ws-operator": ("ws", "operator"),
    "project-maintainer": ("project", "maintainer"),
    "project-operator": ("project", "operator"),
}
EVERYONE = frozenset(ORG_ROLES) | frozenset(TEAM_GRANTS) | frozenset(SCOPE_GRANTS)
ADMINS = frozenset({"owner", "admin"})
MAINTAINERS = ADMINS | {"maintainer", "team-maintainer"}
WS_MAINTAINERS = MAINTAINERS | {"ws-maintainer"}
PROJECT_MAINTAINERS = WS_MAINTAINERS | {"project-maintainer"}
CATALOG = ADMINS | {"maintainer"}
ROUTE_RUNNERS = ADMINS | {"maintainer", "operator"}  # route.run: test, replay, re-drive
# Who may run tasks in the fixture's project (submit, cancel, retry).
RUNNERS = PROJECT_MAINTAINERS | {
    "operator",
    "team-operator",
    "ws-operator",
    "project-operator",
}
# The access ledger of a secret: who read what is for auditors and admins.
AUDITORS = ADMINS | {"auditor"}

# Who may send each write (reads are for EVERYONE). A route missing here fails the test.
WRITES: dict[tuple[str, str], frozenset[str]] = {
    ("PATCH", ORG): ADMINS,
    ("DELETE", ORG): frozenset({"owner"}),
    ("POST", ORG + ":undelete"): frozenset({"owner"}),
    ("POST", ORG + ":leave"): EVERYONE,
    ("POST", ORG + "/teams"): ADMINS,
    ("PATCH", TEAM): MAINTAINERS,
    ("DELETE", TEAM): ADMINS,
    ("POST", TEAM + ":undelete"): ADMINS,
    ("POST", TEAM + "/workspaces"): MAINTAINERS,
    ("PATCH", WS): WS_MAINTAINERS,
    ("DELETE", WS): WS_MAINTAINERS,
    ("POST", WS + ":undelete"): WS_MAINTAINERS,
    ("POST", WS + "/projects"): WS_MAINTAINERS,
    ("PATCH", PROJECT): PROJECT_MAINTAINERS,
    ("DELETE", PROJECT): PROJECT_MAINTAINERS,
    ("POST", PROJECT + ":undelete"): PROJECT_MAINTAINERS,
    ("PUT", ORG + "/members/{user}"): ADMINS,
    ("DELETE", ORG + "/members/{user}"): ADMINS,
    ("PUT", TEAM + "/members/{user}"): MAINTAINERS,
    ("DELETE", TEAM + "/members/{user}"): MAINTAINERS,
    ("PUT", WS + "/members/{user}"): WS_MAINTAINERS,
    ("DELETE", WS + "/members/{user}"): WS_MAINTAINERS,
    ("PUT", PROJECT + "/members/{user}"): PROJECT_MAINTAINERS,
    ("DELETE", PROJECT + "/members/{user}"): PROJECT_MAINTAINERS,
    ("POST", ORG + "/groups"): ADMINS,
    ("PATCH", GROUP): ADMINS,
    ("DELETE", GROUP): ADMINS,
    ("POST", GROUP + "/members"): ADMINS,
    ("DELETE", GROUP + "/members/{user}"): ADMINS,
    ("POST", ORG + "/skills"): CATALOG,
    ("PATCH", SKILL): CATALOG,
    ("DELETE", SKILL): CATALOG,
    ("POST", SKILL + ":undelete"): CATALOG,
    ("POST", SKILL + "/versions"): CATALOG,
    ("POST", SKILL + ":rollback"): CATALOG,
    ("POST", ORG + "/configs"): CATALOG,
    ("PATCH", CONFIG): CATALOG,
    ("DELETE", CONFIG): CATALOG,
    ("POST", CONFIG + ":undelete"): CATALOG,
    ("POST", CONFIG + "/versions"): CATALOG,
    ("POST", CONFIG + ":rollback"): CATALOG,
    ("PUT", ORG + "/config-categories/{category}"): CATALOG,
    ("DELETE", ORG + "/config-categories/{category}"): CATALOG,
    ("POST", ORG + "/tools"): CATALOG,
    ("PATCH", TOOL): CATALOG,
    ("DELETE", TOOL): CATALOG,
    ("POST", TOOL + ":undelete"): CATALOG,
    # NATS creds reading the org's events: org admins and owners only.
    ("POST", ORG + "/bus-credentials"): ADMINS,
    ("DELETE", ORG + "/bus-credentials/{credential}"): ADMINS,
    # Checking a sample input writes nothing: a read.
    ("POST", TOOL + ":validate"): EVERYONE,
    ("POST", ORG + "/callback-signing-key:rotate"): ADMINS,
    ("POST", DELIVERIES + ":ping"): ADMINS,
    ("POST", DELIVERIES + "/{delivery}:redrive"): ADMINS,
    ("POST", INFRA): ADMINS,
    ("PATCH", INFRA + "/{service}"): ADMINS,
    ("DELETE", INFRA + "/{service}"): ADMINS,
    ("POST", INFRA + "/{service}:undelete"): ADMINS,
    ("POST", ROUTES): ADMINS,
    ("PATCH", ROUTE): ADMINS,
    ("DELETE", ROUTE): ADMINS,
    ("POST", ROUTE + ":undelete"): ADMINS,
    ("POST", ROUTE + ":rollback"): ADMINS,
    ("POST", ROUTE + ":test"): ROUTE_RUNNERS,
    ("POST", ROUTES + ":test"): ROUTE_RUNNERS,
    ("POST", ROUTE + ":replay"): ROUTE_RUNNERS,
    ("POST", ROUTES + ":replay"): ROUTE_RUNNERS,
    ("POST", ROUTES + "/dead-letters/{delivery}:redrive"): ROUTE_RUNNERS,
    ("POST", PROJECT + "/tasks"): RUNNERS,
    ("POST", TASK + ":cancel"): RUNNERS,
    ("POST", TASK + ":retry"): RUNNERS,
    # Workflow instances: operators start, signal, decide (as the stage allows) and cancel.
    ("POST", INSTANCES): RUNNERS,
    **{
        ("POST", INSTANCE + action): RUNNERS
        for action in (":signal", ":approve", ":reject", ":cancel", ":retry")
    },
    ("POST", ORG + "/agent-definitions"): ADMINS,
    ("PATCH", DEFINITION): ADMINS,
    ("DELETE", DEFINITION): ADMINS,
    ("POST", DEFINITION + ":undelete"): ADMINS,
    ("POST", DEFINITION + "/versions"): ADMINS,
    ("POST", DEFINITION + ":rollback"): ADMINS,
    ("POST", ORG + "/workflow-templates"): CATALOG,
    ("PATCH", WF_TEMPLATE): CATALOG,
    ("DELETE", WF_TEMPLATE): CATALOG,
    ("POST", WF_TEMPLATE + ":undelete"): CATALOG,
    ("PUT", WF_TEMPLATE + "/draft"): CATALOG,
    ("PATCH", WF_TEMPLATE + "/draft"): CATALOG,
    ("POST", WF_TEMPLATE + "/versions"): CATALOG,
    ("POST", WF_TEMPLATE + ":rollback"): CATALOG,
    **{
        (method, path): ADMINS
        for base in TARGETS.values()
        for method, path in (
            ("POST", base),
            ("PATCH", base + "/{target}"),
            ("DELETE", base + "/{target}"),
            ("POST", base + "/{target}:undelete"),
        )
    },
    # Purging a deleted org destroys its data key: owners only.
    ("POST", ORG + ":purge"): frozenset({"owner"}),
}
# Matches no event: trying it is cheap (nothing reaches the sandbox).
PROBE_ROUTE = {
    "event_type": "io.signalyard.nothing.*.v1",
    "target_wf_id": "wf-{subject}",
    "signal_name": "probe",
    "transform": ".data",
}
PROBE_STAGE = {"name": "ok", "order": 1, "stage_type": "approval", "approval": {"roles": ["admin"]}}
PROBE_EVENT = {"id": "e1", "type": "io.signalyard.task.created.v1", "source": "/x", "data": {}}
# Secrets: admins write, everyone reads names and metadata, never a value.
for _secrets in SECRET_SCOPES:
    WRITES[("POST", _secrets)] = ADMINS
    for _method, _tail in (
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", ":undelete"),
        ("POST", ":rotate"),
    ):
        WRITES[(_method, _secrets + "/{secret}" + _tail)] = ADMINS
    WRITES[("GET", _secrets + "/{secret}/accesses")] = AUDITORS


def _body(method: str, path: str, values: dict[str, str]) -> dict | None:
    """A minimal valid body, so that a denied caller reaches the permission check."""
    tail = path.rsplit("/", 1)[-1]
    if method == "DELETE" or tail.endswith((":undelete", ":leave", ":cancel", ":retry")):
        return None
    if tail.endswith(":signal"):
        return {"name": "probe", "payload": {}}
    if tail.endswith((":approve", ":reject")):
        return {"comment": "probe"}
    if tail == "workflow-instances":
        return {"template": values["template"]}
    if tail.endswith(":validate"):
        return {"input": {}}
    if tail.endswith(":ping"):
        return {"url": "https://example.com/hook"}
    if tail.endswith(":redrive"):
        return None
    if tail.endswith((":test", ":replay")):
        body: dict = {"route": PROBE_ROUTE} if tail.startswith("event-routes:") else {}
        return {**body, "event": PROBE_EVENT} if tail.endswith(":test") else body
    if tail.endswith(":rollback"):
        return {"version": 1}
    if tail.endswith(":rotate"):
        return {"value": "rotated-probe-value"}
    if tail.endswith(":purge"):
        return None
    if tail == "draft":
        return {"default_config": {"a": 1}} if method == "PATCH" else {}
    if tail == "versions" and "/workflow-templates/" in path:
        return None  # publishes the draft
    if method == "PATCH":
        return {"name": "Renamed"} if "/groups/" in path else {"description": "x"}
    if "/members/" in path:
        return {"role": "viewer"}
    if tail == "versions" and "/agent-definitions/" in path:
        return {"image": "acme/agent:2"}
    if tail == "versions":
        return {"files": _files()} if "/skills/" in path else {"content": {"a": 2}}
    if "/config-categories/" in path:
        return {"schema": {"type": "object"}}
    if tail == "members":
        return {"user": values["user"]}
    name = unique("probe")
    return {
        "groups": {"name": name, "role": "viewer"},
        "skills": {"category": "docs", "slug": name, "files": _files()},
        "configs": {"name": name, "category": "llm", "content": {"a": 1}},
        "tools": {"name": name, "input_schema": {"type": "object"}, "handler_ref": "h"},
        "infra-services": {"name": name, "service_type": "http", "connection_url": "https://x/"},
        "event-routes": {"name": name, **PROBE_ROUTE},
        "secrets": {"name": name.replace("-", "_"), "backend": "local", "value": "probe-value"},
        "users": {"name": name},
        "tokens": {"name": name},
        "tasks": {"brief": "probe", "agent_image": "acme/agent:1"},
        "agent-definitions": {"name": name, "image": "acme/agent:1"},
        "runtime-targets": {"name": name, "backend_type": "local"},
        # Platform admins only: every org role gets 403 (none is one).
        "dispatcher-credentials": {"dispatcher_name": name, "name": name},
    }.get(tail, {"name": name})


def _files() -> dict:
    return as_json_files({**realistic_files(), "SKILL.md": skill_md()})


@dataclass
class World:
    params: dict[str, str]
    clients: dict[str, httpx.Client]
    read: dict[str, str]
    platform_tool: str


@pytest.fixture(scope="module")
def world(stack):
    with stack.admin() as admin:
        tree = make_tree(admin, "matrix")
        org, team = tree.org["slug"], tree.team["slug"]
        base = f"/v1/orgs/{org}"
        target, _, _ = add_member(admin, org, "viewer", team, "viewer")
        scopes = {"ws": f"{base}/teams/{team}/workspaces/{tree.ws['slug']}"}
        scopes["project"] = f"{scopes['ws']}/projects/{tree.project['slug']}"
        for scope in scopes.values():
            created(admin.put(f"{scope}/members/{target}", json={"role": "viewer"}))
        platform_tool = unique("probe")
        org_id = tree.org["guid"]
        for path, body in [
            (f"{base}/skills", {"category": "docs", "slug": "probe", "files": _files()}),
            (f"{base}/configs", {"name": "Probe", "category": "llm", "content": {"a": 1}}),
            (f"{base}/tools", {"name": "Probe", "input_schema": {}, "handler_ref": "h"}),
            ("/v1/tools", {"name": platform_tool, "input_schema": {}, "handler_ref": "h"}),
            (f"{base}/groups", {"name": "Crew", "role": "viewer"}),
            (f"{base}/event-routes", {"name": "Probe", **PROBE_ROUTE}),
            (f"{base}/agent-definitions", {"name": "Probe", "image": "acme/agent:1"}),
            (f"{base}/workflow-templates", {"name": "Probe", "draft": {"stages": [PROBE_STAGE]}}),
            (f"{base}/workflow-templates/probe/versions", None),
            (
                f"{base}/runtime-targets",
                {"name": "Probe", "backend_type": "local", "is_default": True},
            ),
            (f"{scopes['ws']}/runtime-targets", {"name": "Probe", "backend_type": "local"}),
            (f"{scopes['project']}/runtime-targets", {"name": "Probe", "backend_type": "local"}),
            *(
                (f"{scope}/secrets", {"name": "PROBE", "backend": "local", "value": "probe"})
                for scope in (base, f"{base}/teams/{team}", scopes["ws"])
            ),
        ]:
            created(admin.post(path, json=body))
        task = admin.post(
            f"{scopes['project']}/tasks", json={"brief": "probe", "agent_image": "acme/agent:1"}
        )
        assert task.status_code == 202, task.text
        instance = admin.post(f"{scopes['project']}/workflow-instances", json={"template": "probe"})
        assert instance.status_code == 202, instance.text
        last = admin.put(f"{base}/config-categories/llm", json={"schema": {"type": "object"}})
        assert last.status_code in (200, 201), last.text
        ping = {"url": "https://example.com/hook"}
        delivery = created(admin.post(f"{base}/callback-deliveries:ping", json=ping))["guid"]
        probe = {"name": "Probe", "service_type": "http", "connection_url": "https://x/"}
        created(admin.post(f"{base}/infra-services", json=probe))
        tokens = {}
        for role in ORG_ROLES:
            _, tokens[role], _ = add_member(admin, org, role)
        for name, grant in TEAM_GRANTS.items():
            _, tokens[name], _ = add_member(admin, org, "member", team, grant)
        for name, (scope, grant) in SCOPE_GRANTS.items():
            user, tokens[name], _ = add_member(admin, org, "member")
            created(admin.put(f"{scopes[scope]}/members/{user}", json={"role": grant}))
        _, tokens["outsider"] = new_user(admin, "outsider")
        with stack.client(tokens["outsider"]) as outsider:
            created(outsider.post("/v1/orgs", json={"name": unique("elsewhere")}))
        credential = created(admin.post(f"{base}/bus-credentials", json={"name": "Feed"}))
        last = admin.post(f"{base}/groups/crew/members", json={"user": target})
        params = {
            "org": org,
            "team": team,
            "ws": tree.ws["slug"],
            "project": tree.project["slug"],
            "skill": "probe",
            "config": "probe",
            "category": "llm",
            "tool": "probe",
            "group": "crew",
            "secret": "PROBE",
            "user": target,
            "number": "1",
            "token": str(uuid.uuid4()),
            "delivery": delivery,
            "service": "probe",
            "route": "probe",
            "route_delivery": str(_dead_letter(stack, org_id)),
            "task": task.json()["guid"],
            "instance": instance.json()["guid"],
            "definition": "probe",
            "template": "probe",
            "target": "probe",
            "credential": credential["guid"],
        }
        clients = {name: stack.client(token) for name, token in tokens.items()}
        try:
            yield World(params, clients, read_after(last), platform_tool)
        finally:
            for client in clients.values():
                client.close()


def _dead_letter(stack, org_id: str) -> uuid.UUID:
    """A dead letter of the probe route, as the router records one."""
    store = build_store(stack.settings, database_url(stack.settings))
    try:
        route = store.find(store.slugs.owner("event-route", org_id, "probe"), EventRoute)
        assert route is not None
        report = DeliveryReport(org_id, route.id, 1, "e1", "wf-1", "dead_lettered", "gone")
        return DeliveryService(store).dead_letter(system_context(), report).guid
    finally:
        store.close()


def _operations(stack) -> list[tuple[str, str, dict]]:
    with stack.client() as anonymous:
        spec = anonymous.get("/openapi.json").json()
    ops = [
        (method.upper(), path, op)
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
    ]
    # Leaving comes last: it takes the caller out of the org.
    return sorted(ops, key=lambda o: o[1].endswith(":leave"))


def test_every_route_answers_every_role_as_the_roles_table_says(stack, world):
    failures = []
    operations = _operations(stack)
    assert AGENT_ROUTES <= {(method, template) for method, template, _ in operations}
    for method, template, op in operations:
        if template == "/healthz":
            continue
        org_scoped = template.startswith(ORG)
        allowed = WRITES.get((method, template), EVERYONE if method == "GET" else None)
        if org_scoped and allowed is None:
            failures.append(f"{method} {template}: no row in the roles table")
            continue
        values = dict(
            world.params, tool=world.params["tool"] if org_scoped else world.platform_tool
        )
        if "/dead-letters/" in template:  # a route's dead letter, not a callback delivery
            values["delivery"] = values["route_delivery"]
        path = template.format(**values)
        query = {"from": "1"} if any(p["name"] == "from" for p in op.get("parameters", [])) else {}
        if method == "GET":
            query.update(world.read)
        headers = {"If-Match": '"999999"'} if method != "GET" else {}
        answers = {
            name: client.request(
                method, path, json=_body(method, template, values), params=query, headers=headers
            )
            for name, client in world.clients.items()
        }
        for name, response in answers.items():
            status = response.status_code
            if status >= 500:
                failures.append(f"{method} {template} as {name}: {status} {response.text}")
            elif template.startswith(AGENT):
                if status != 401:
                    failures.append(f"{method} {template} as {name}: {status}, not 401")
            elif not org_scoped:
                # The dispatcher API takes dispatcher credentials only: 401 to every user.
                if template.startswith("/v1/dispatch/") and status != 401:
                    failures.append(f"{method} {template} as {name}: {status}, not 401")
                if template.startswith("/v1/dispatcher-credentials") and status != 403:
                    failures.append(f"{method} {template} as {name}: {status}, not 403")
                if status != answers["outsider"].status_code:
                    failures.append(f"{method} {template} as {name}: {status}, not as outsiders")
            elif name == "outsider":
                if status != 404:
                    failures.append(f"{method} {template} as outsider: {status}, not 404")
            elif name in allowed and status in (403, 404):
                failures.append(f"{method} {template} as {name}: {status} {response.text}")
            elif name not in allowed and status != 403:
                failures.append(f"{method} {template} as {name}: {status}, not 403")
    assert not failures, "\n".join(failures)
