"""EventRoutes over HTTP: versions and history, programs checked at write time, `:test`
and `:replay` (runaway programs included, tenants kept apart), deliveries, dead letters."""

from __future__ import annotations

import threading
import time

import pytest
from support.api import add_member, assert_problem, created, etag_of, unique, writes_nothing

from domain.core.context import system_context
from domain.routing.delivery_service import DeliveryReport, DeliveryService
from signalyard.bootstrap import build_store, database_url

ROUTE = {
    "name": "Config made",
    "event_type": "io.signalyard.config.*.v1",
    "source": "/orgs/*/configs/*",
    "target_wf_id": "wf-{data.name}",
    "signal_name": "config_made",
    "transform": "{name: .data.name, version: .entityversion}",
    "filter": "type.endsWith('created.v1')",
}


def make_org(admin) -> tuple[str, str]:
    org = created(admin.post("/v1/orgs", json={"name": unique("routes")}))
    return org["slug"], org["guid"]


def make_route(admin, org: str, **changes) -> dict:
    return created(admin.post(f"/v1/orgs/{org}/event-routes", json={**ROUTE, **changes}))


def test_a_definition_change_is_a_version_and_the_history_tells_it(admin):
    org, _ = make_org(admin)
    route = make_route(admin, org)
    assert route["current_version"] == 1 and route["definition"]["action"] == "signal"
    base = f"/v1/orgs/{org}/event-routes/{route['slug']}"
    patched = admin.patch(base, json={"enabled": False}, headers={"If-Match": '"2"'})
    assert patched.status_code == 200, patched.text
    assert patched.json()["current_version"] == 2
    stale = admin.patch(base, json={"enabled": True}, headers={"If-Match": '"2"'})
    assert_problem(stale, 412)
    versions = admin.get(f"{base}/versions").json()["items"]
    assert [v["content"]["enabled"] for v in versions] == [True, False]
    assert admin.get(f"{base}/versions/latest").json()["version_number"] == 2
    got = admin.get(base)
    assert got.json()["definition"]["enabled"] is False and etag_of(got) == '"3"'
    history = admin.get(f"{base}/history").json()["items"]
    assert [h["type"] for h in history] == [
        "EventRoute.Created",
        "EventRoute.VersionPublished",
        "EventRoute.VersionPublished",
    ]
    listed = admin.get(f"/v1/orgs/{org}/event-routes").json()["items"]
    assert [r["slug"] for r in listed] == [route["slug"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"transform": ".a |||"}, "transform"),
        ({"filter": "type =="}, "filter"),
        ({"target_wf_id": "wf-{0!r}"}, "target_wf_id"),
        ({"action": "signal_with_start"}, "workflow_type"),
        ({"action": "shout"}, "action"),
    ],
)
def test_a_route_that_does_not_compile_is_a_422_naming_the_field(stack, admin, change, field):
    org, _ = make_org(admin)
    with writes_nothing(stack):
        refused = admin.post(f"/v1/orgs/{org}/event-routes", json={**ROUTE, **change})
    assert_problem(refused, 422, field)


def test_a_route_is_tested_on_a_given_event_a_stored_one_and_as_a_draft(admin):
    org, org_id = make_org(admin)
    route = make_route(admin, org)
    created(
        admin.post(
            f"/v1/orgs/{org}/configs", json={"name": "Agent", "category": "llm", "content": {}}
        )
    )
    patched = admin.patch(
        f"/v1/orgs/{org}/configs/agent", json={"description": "x"}, headers={"If-Match": '"2"'}
    )
    position = int(patched.headers["X-Signalyard-Position"])  # one event: Config.Updated
    base = f"/v1/orgs/{org}/event-routes/{route['slug']}"
    unmatched = admin.post(f"{base}:test", json={"event_position": position})
    assert unmatched.status_code == 200, unmatched.text
    assert unmatched.json()["matched"] is True, unmatched.json()
    assert unmatched.json()["filter_result"] is False
    draft = {**{k: v for k, v in ROUTE.items() if k != "name"}, "filter": None}
    draft.update(transform=".data.changes", target_wf_id="wf-{subject}")
    stored = admin.post(f"{base}:test", json={"event_position": position, "route": draft}).json()
    assert stored["output"] == {"description": "x"} and stored["target"].startswith("wf-")
    event = {
        "type": "io.signalyard.config.created.v1",
        "source": f"/orgs/{org_id}/configs/x",
        "id": "e1",
        "data": {},
    }
    missing = admin.post(f"{base}:test", json={"event": event}).json()
    assert missing["error"]["field"] == "target_wf_id"
    assert "data.name" in missing["error"]["message"]
    draft["transform"] = ".data | keys"
    tried = admin.post(f"/v1/orgs/{org}/event-routes:test", json={"event": event, "route": draft})
    assert tried.json()["output"] == [] and tried.json()["matched"]
    both = admin.post(f"{base}:test", json={"event": event, "event_position": position})
    assert_problem(both, 422)


def test_another_tenants_event_is_never_tested_or_replayed(admin):
    org, _ = make_org(admin)
    other, _ = make_org(admin)
    route = make_route(admin, org, filter=None)
    theirs = admin.post(
        f"/v1/orgs/{other}/configs", json={"name": "Theirs", "category": "llm", "content": {}}
    )
    position = int(theirs.headers["X-Signalyard-Position"])
    base = f"/v1/orgs/{org}/event-routes/{route['slug']}"
    assert_problem(admin.post(f"{base}:test", json={"event_position": position}), 404)
    ours = admin.post(
        f"/v1/orgs/{org}/configs", json={"name": "Ours", "category": "llm", "content": {}}
    )
    replayed = admin.post(f"{base}:replay", json={"from_position": position - 5})
    assert replayed.status_code == 200, replayed.text
    names = [e["output"]["name"] for e in replayed.json()["items"]]
    assert names == ["Ours"], replayed.json()
    assert int(ours.headers["X-Signalyard-Position"]) > position


@pytest.mark.parametrize("program", ["def f: f; f", "def f: 1+f; f", "[range(1e12)]"])
def test_a_runaway_transform_is_an_error_and_the_api_keeps_answering(stack, admin, program):
    org, org_id = make_org(admin)
    route = make_route(admin, org, transform=program, filter=None)
    event = {
        "type": "io.signalyard.config.created.v1",
        "source": f"/orgs/{org_id}/configs/x",
        "id": "e1",
        "data": {"name": "n"},
    }
    answers: list = []
    url = f"/v1/orgs/{org}/event-routes/{route['slug']}:test"

    def run_away() -> None:
        with stack.admin() as client:
            answers.append(client.post(url, json={"event": event}))

    worker = threading.Thread(target=run_away)
    started = time.monotonic()
    worker.start()
    time.sleep(0.2)
    meanwhile = admin.get(f"/v1/orgs/{org}/event-routes")
    assert meanwhile.status_code == 200 and time.monotonic() - started < 1.5
    worker.join(timeout=30)
    limit = stack.settings.route_eval_timeout_ms / 1000
    assert time.monotonic() - started < limit + 10  # HTTP and a fresh process, on a busy machine
    assert answers[0].status_code == 200 and answers[0].json()["error"]["field"] == "transform"
    fine = admin.post(
        f"/v1/orgs/{org}/event-routes:test",
        json={
            "event": event,
            "route": {**{k: v for k, v in ROUTE.items() if k != "name"}, "filter": None},
        },
    )
    assert fine.status_code == 200, fine.text
    assert fine.json()["output"] == {"name": "n", "version": None}


def test_deliveries_and_dead_letters_are_listed_and_redriven(stack, admin):
    org, org_id = make_org(admin)
    route = make_route(admin, org)
    store = build_store(stack.settings, database_url(stack.settings))
    try:
        service = DeliveryService(store)
        for event_id, outcome, reason in [
            ("e1", "delivered", None),
            ("e2", "failed", "no such workflow"),
            ("e2", "failed", "no such workflow"),  # redelivered: recorded once
        ]:
            report = DeliveryReport(
                org_id,
                route["guid"],
                1,
                event_id,
                "wf-1",
                outcome,
                reason,  # type: ignore[arg-type]
            )
            last = service.record_delivery(system_context(), report)
        letter = service.dead_letter(system_context(), report)
    finally:
        store.close()
    read = {"min_position": str(max(last.position, letter.position))}
    base = f"/v1/orgs/{org}/event-routes"
    listed = admin.get(f"{base}/{route['slug']}/deliveries", params=read).json()["items"]
    assert [(d["event_id"], d["outcome"]) for d in listed] == [
        ("e1", "delivered"),
        ("e2", "dead_lettered"),
    ]
    only = admin.get(f"{base}/{route['slug']}/deliveries", params={"outcome": "delivered"})
    assert [d["event_id"] for d in only.json()["items"]] == ["e1"]
    letters = admin.get(f"{base}/dead-letters").json()["items"]
    assert [d["reason"] for d in letters] == ["no such workflow"]
    _, viewer, _ = add_member(admin, org, "viewer")
    _, operator, _ = add_member(admin, org, "operator")
    with stack.client(viewer) as as_viewer:
        assert as_viewer.get(f"{base}/dead-letters").status_code == 200
        assert_problem(as_viewer.post(f"{base}/dead-letters/{letters[0]['guid']}:redrive"), 403)
    with stack.client(operator) as as_operator:
        redriven = as_operator.post(f"{base}/dead-letters/{letters[0]['guid']}:redrive")
        assert redriven.status_code == 202, redriven.text
        assert redriven.json()["redrive_requested"]
        assert_problem(as_operator.post(f"{base}/dead-letters/{letters[0]['guid']}:redrive"), 409)
        assert_problem(as_operator.post(base, json=ROUTE), 403)
