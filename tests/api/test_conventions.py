"""The API conventions of DESIGN.md: OpenAPI, Idempotency-Key, cursor pagination,
read-your-writes, request and causation ids."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from support.api import (
    assert_problem,
    created,
    event_count,
    new_user,
    read_after,
    unique,
    writes_nothing,
)
from support.stack import running_stack

# -- OpenAPI ----------------------------------------------------------------------------
ISSUE_ROUTES = {
    "/v1/orgs": {"get", "post"},
    "/v1/orgs/{org}": {"get", "patch", "delete"},
    "/v1/orgs/{org}:undelete": {"post"},
    "/v1/orgs/{org}/history": {"get"},
    "/v1/orgs/{org}/members": {"get"},
    "/v1/orgs/{org}/members/{user}": {"get", "put", "delete"},
    "/v1/orgs/{org}/members/{user}/history": {"get"},
    "/v1/orgs/{org}/groups": {"get", "post"},
    "/v1/orgs/{org}/teams": {"get", "post"},
    "/v1/orgs/{org}/teams/{team}": {"get", "patch", "delete"},
    "/v1/orgs/{org}/teams/{team}:undelete": {"post"},
    "/v1/orgs/{org}/teams/{team}/history": {"get"},
    "/v1/orgs/{org}/teams/{team}/members": {"get"},
    "/v1/orgs/{org}/teams/{team}/members/{user}": {"get", "put", "delete"},
    "/v1/orgs/{org}/teams/{team}/members/{user}/history": {"get"},
    "/v1/orgs/{org}/teams/{team}/workspaces": {"get", "post"},
    "/v1/orgs/{org}/teams/{team}/workspaces/{ws}": {"get", "patch", "delete"},
    "/v1/orgs/{org}/teams/{team}/workspaces/{ws}:undelete": {"post"},
    "/v1/orgs/{org}/teams/{team}/workspaces/{ws}/history": {"get"},
    "/v1/orgs/{org}/teams/{team}/workspaces/{ws}/projects": {"get", "post"},
    "/v1/orgs/{org}/teams/{team}/workspaces/{ws}/projects/{project}": {"get", "patch", "delete"},
    "/v1/orgs/{org}/teams/{team}/workspaces/{ws}/projects/{project}:undelete": {"post"},
    "/v1/orgs/{org}/teams/{team}/workspaces/{ws}/projects/{project}/history": {"get"},
    "/v1/users": {"get", "post"},
    "/v1/users/{user}": {"get"},
    "/v1/users/{user}/history": {"get"},
    "/v1/users/{user}/tokens": {"get", "post"},
    "/v1/users/{user}/tokens/{token}": {"delete"},
    "/v1/me": {"get"},
}


def test_openapi_is_published_and_lists_every_route(stack):
    with stack.client() as anonymous:
        response = anonymous.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["title"] == "Signalyard"
    for path, methods in ISSUE_ROUTES.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), (path, set(spec["paths"][path]))
    create = spec["components"]["schemas"]["OrganizationCreate"]
    assert create["additionalProperties"] is False
    assert "name" in create["required"]


# -- Idempotency-Key --------------------------------------------------------------------
def test_the_same_key_and_body_replays_the_first_response(admin, stack):
    org = created(admin.post("/v1/orgs", json={"name": unique("Idem")}))
    teams = f"/v1/orgs/{org['slug']}/teams"
    key = {"Idempotency-Key": unique("key")}
    first = admin.post(teams, json={"name": "Once"}, headers=key)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    with writes_nothing(stack):
        again = admin.post(teams, json={"name": "Once"}, headers=key)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    for header in ("Location", "ETag", "X-Signalyard-Position", "Content-Type"):
        assert again.headers[header] == first.headers[header]
    listed = admin.get(teams, params=read_after(first)).json()["items"]
    assert [t["slug"] for t in listed] == ["once"]


def test_the_same_key_with_another_body_or_path_is_422(admin, stack):
    key = {"Idempotency-Key": unique("key")}
    first = admin.post("/v1/orgs", json={"name": unique("First")}, headers=key)
    assert first.status_code == 201
    with writes_nothing(stack):
        other_body = admin.post("/v1/orgs", json={"name": unique("Second")}, headers=key)
        assert_problem(other_body, 422)
        other_path = admin.post(
            f"/v1/orgs/{first.json()['slug']}/teams", json={"name": "x"}, headers=key
        )
        assert_problem(other_path, 422)


def test_keys_belong_to_one_credential(admin, stack):
    _, token = new_user(admin)
    key = {"Idempotency-Key": unique("shared-key")}
    mine = admin.post("/v1/orgs", json={"name": unique("Mine")}, headers=key)
    with stack.client(token) as other:
        theirs = other.post("/v1/orgs", json={"name": unique("Theirs")}, headers=key)
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()["guid"] != theirs.json()["guid"]


def test_a_refused_request_is_replayed_as_refused(admin, stack):
    org = created(admin.post("/v1/orgs", json={"name": unique("Dup")}))
    key = {"Idempotency-Key": unique("key")}
    body = {"name": "x", "slug": org["slug"]}
    first = admin.post("/v1/orgs", json=body, headers=key)
    assert_problem(first, 409, "slug")
    with writes_nothing(stack):
        again = admin.post("/v1/orgs", json=body, headers=key)
    assert again.status_code == 409 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_idempotent_actions_too(admin, stack):
    org = created(admin.post("/v1/orgs", json={"name": unique("Undel")}))
    path = f"/v1/orgs/{org['slug']}"
    admin.delete(path, headers={"If-Match": '"1"'})
    key = {"Idempotency-Key": unique("key")}
    first = admin.post(f"{path}:undelete", headers=key)
    assert first.status_code == 200, first.text
    with writes_nothing(stack):
        again = admin.post(f"{path}:undelete", headers=key)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


# -- cursor pagination ------------------------------------------------------------------
def _walk(client, path, page_size, **params):
    pages, token = [], None
    while True:
        query = {"page_size": page_size, **params}
        if token:
            query["page_token"] = token
        page = client.get(path, params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= page_size
        pages.append(body["items"])
        token = body["next_page_token"]
        if token is None:
            return pages
        assert len(pages) < 100


def test_pages_walk_the_whole_list_in_a_stable_order(admin):
    org = created(admin.post("/v1/orgs", json={"name": unique("Paged")}))
    teams = f"/v1/orgs/{org['slug']}/teams"
    last = None
    for i in range(7):
        last = admin.post(teams, json={"name": f"team {i}"})
        assert last.status_code == 201
    rw = read_after(last)
    pages = _walk(admin, teams, 3, **rw)
    assert [len(p) for p in pages] == [3, 3, 1]
    slugs = [t["slug"] for page in pages for t in page]
    assert slugs == [f"team-{i}" for i in range(7)]
    # The same token gives the same page.
    first = admin.get(teams, params={"page_size": 3, **rw}).json()
    token = first["next_page_token"]
    second_a = admin.get(teams, params={"page_size": 3, "page_token": token}).json()
    second_b = admin.get(teams, params={"page_size": 3, "page_token": token}).json()
    assert second_a == second_b
    # Deleting an item of an earlier page does not shift the later pages.
    deleted = admin.delete(f"{teams}/team-0", headers={"If-Match": '"1"'})
    after_delete = admin.get(
        teams, params={"page_size": 3, "page_token": token, **read_after(deleted)}
    ).json()
    assert [t["slug"] for t in after_delete["items"]] == ["team-3", "team-4", "team-5"]
    # New items appear at the end; show_deleted brings the deleted one back in place.
    added = admin.post(teams, json={"name": "team 7"})
    everything = _walk(admin, teams, 4, show_deleted="true", **read_after(added))
    assert [t["slug"] for p in everything for t in p] == [f"team-{i}" for i in range(8)]
    live = _walk(admin, teams, 4, **read_after(added))
    assert [t["slug"] for p in live for t in p] == [f"team-{i}" for i in range(1, 8)]


def test_an_exact_fit_has_no_next_page(admin):
    org = created(admin.post("/v1/orgs", json={"name": unique("Exact")}))
    teams = f"/v1/orgs/{org['slug']}/teams"
    last = None
    for i in range(2):
        last = admin.post(teams, json={"name": f"t{i}"})
    page = admin.get(teams, params={"page_size": 2, **read_after(last)}).json()
    assert len(page["items"]) == 2 and page["next_page_token"] is None


def test_members_users_and_tokens_paginate_too(admin):
    org = created(admin.post("/v1/orgs", json={"name": unique("Crowd")}))
    last = None
    for _ in range(3):
        user, _ = new_user(admin)
        last = admin.put(f"/v1/orgs/{org['slug']}/members/{user}", json={"role": "viewer"})
    rw = read_after(last)
    members = _walk(admin, f"/v1/orgs/{org['slug']}/members", 2, **rw)
    assert [len(p) for p in members] == [2, 2]  # the owner and three viewers
    users = _walk(admin, "/v1/users", 2, **rw)
    guids = [u["guid"] for p in users for u in p]
    assert len(guids) == len(set(guids)) >= 4
    for _ in range(2):
        last = admin.post(f"/v1/users/{user}/tokens", json={"name": "more"})
    tokens = _walk(admin, f"/v1/users/{user}/tokens", 2, **read_after(last))
    assert [len(p) for p in tokens] == [2, 1]


def test_an_invalid_page_token_is_400(admin):
    for token in ("nonsense", "cTo1", "%%%"):  # "cTo1" decodes to "q:5"
        assert_problem(admin.get("/v1/orgs", params={"page_token": token}), 400, "page_token")


# -- read-your-writes -------------------------------------------------------------------
def test_a_read_with_min_position_sees_the_write(admin):
    org = created(admin.post("/v1/orgs", json={"name": unique("Ryw")}))
    path = f"/v1/orgs/{org['slug']}"
    for i in range(5):
        write = admin.patch(path, json={"description": f"v{i}"}, headers={"If-Match": str(i + 1)})
        assert write.status_code == 200, write.text
        read = admin.get(path, params=read_after(write))
        assert read.json()["description"] == f"v{i}"
        assert read.headers["ETag"] == f'"{i + 2}"'


def test_positions_grow_with_every_write(admin):
    first = admin.post("/v1/orgs", json={"name": unique("Pos")})
    second = admin.post("/v1/orgs", json={"name": unique("Pos")})
    assert int(second.headers["X-Signalyard-Position"]) > int(
        first.headers["X-Signalyard-Position"]
    )


@pytest.fixture(scope="module")
def impatient_stack(module_db_url):
    """Read models that never move (no runners) and a short read-your-writes timeout."""
    with running_stack(
        module_db_url, projections=False, read_your_writes_timeout_seconds=0.5
    ) as running:
        yield running


def test_a_position_not_reached_in_time_is_503_with_retry_after(impatient_stack):
    with impatient_stack.admin() as client:
        write = client.post("/v1/orgs", json={"name": unique("Soon")})
        started = time.monotonic()
        response = client.get("/v1/orgs", params=read_after(write))
        waited = time.monotonic() - started
    problem = assert_problem(response, 503)
    assert response.headers["Retry-After"] == "1"
    assert write.headers["X-Signalyard-Position"] in problem["detail"]
    assert 0.4 <= waited < 5


def test_a_position_beyond_the_head_of_the_log_is_422_at_once(admin):
    write = admin.post("/v1/orgs", json={"name": unique("Far")})
    far = int(write.headers["X-Signalyard-Position"]) + 1_000_000
    response = admin.get("/v1/orgs", params={"min_position": far})
    # A wait for it would end in 503 at the timeout: a 422 says it was refused up front.
    assert_problem(response, 422, "min_position")


def test_an_eventual_read_does_not_wait_for_the_callers_own_writes(impatient_stack):
    with impatient_stack.admin() as client:
        client.post("/v1/orgs", json={"name": unique("Later")})
        # The read models never move here: a read that waited would end in 503.
        response = client.get("/v1/orgs", params={"consistency": "eventual"})
        assert response.status_code == 200
        assert client.get("/v1/orgs").status_code == 503  # the default waits for it


# -- request and causation ids ----------------------------------------------------------
def test_request_and_causation_ids_reach_the_events(admin):
    response = admin.post(
        "/v1/orgs",
        json={"name": unique("Traced")},
        headers={"X-Request-ID": "req-123", "X-Causation-ID": "cause-9"},
    )
    assert response.headers["X-Request-ID"] == "req-123"
    history = admin.get(f"/v1/orgs/{response.json()['guid']}/history").json()["items"]
    assert (history[0]["correlation_id"], history[0]["causation_id"]) == ("req-123", "cause-9")
    generated = admin.get("/v1/me").headers["X-Request-ID"]
    assert len(generated) >= 32


def test_event_count_helper_sees_writes(admin, stack):
    """The `writes_nothing` checks above rely on this."""
    before = event_count(stack)
    admin.post("/v1/orgs", json={"name": unique("Counted")})
    assert event_count(stack) > before


# -- concurrent writers -----------------------------------------------------------------
def _at_once(stack, count, send):
    """Run `send(client)` from `count` threads released together."""
    barrier = threading.Barrier(count)

    def one(_):
        with stack.admin() as client:
            barrier.wait()
            return send(client)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_concurrent_creates_of_one_slug_leave_exactly_one_winner(admin, stack):
    org = created(admin.post("/v1/orgs", json={"name": unique("Race")}))
    teams = f"/v1/orgs/{org['slug']}/teams"
    responses = _at_once(stack, 8, lambda c: c.post(teams, json={"name": "Contested"}))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 7, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "slug")
    winner = next(r for r in responses if r.status_code == 201)
    listed = admin.get(teams, params=read_after(winner)).json()["items"]
    assert [t["slug"] for t in listed] == ["contested"]


def test_concurrent_patches_with_one_version_leave_exactly_one_winner(admin, stack):
    org = created(admin.post("/v1/orgs", json={"name": unique("Lock")}))
    path = f"/v1/orgs/{org['slug']}"
    responses = _at_once(
        stack,
        6,
        lambda c: c.patch(path, json={"description": unique("d")}, headers={"If-Match": '"1"'}),
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 5, [r.text for r in responses]
    for response in responses:
        if response.status_code == 412:
            assert assert_problem(response, 412)["current_version"] == 2
    history = admin.get(f"{path}/history").json()["items"]
    assert [i["version"] for i in history] == [1, 2]


def test_concurrent_requests_with_one_idempotency_key_create_once(admin, stack):
    org = created(admin.post("/v1/orgs", json={"name": unique("IdemRace")}))
    teams = f"/v1/orgs/{org['slug']}/teams"
    key = {"Idempotency-Key": unique("key")}
    responses = _at_once(stack, 5, lambda c: c.post(teams, json={"name": "Once"}, headers=key))
    assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
    firsts = [r for r in responses if r.status_code == 201]
    assert len({r.json()["guid"] for r in firsts}) == 1
    for response in responses:
        if response.status_code == 409:  # still in progress: retry later
            assert response.headers["Retry-After"]
    listed = admin.get(teams, params=read_after(firsts[0])).json()["items"]
    assert [t["slug"] for t in listed] == ["once"]
