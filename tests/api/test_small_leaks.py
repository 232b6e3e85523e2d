"""Small leaks and crashes (issue 11.9): an org one cannot see reads like a missing one, and
numbers in paths and queries are ASCII digits only."""

from __future__ import annotations

import base64

import pytest
from support.api import assert_problem, created, make_tree, new_user, read_after, unique


@pytest.fixture
def outsider(stack, admin):
    _, token = new_user(admin, "outsider")
    with stack.client(token) as client:
        yield client


def _detail(response, ref: str) -> str:
    return assert_problem(response, 404)["detail"].replace(ref, "<ref>")


def test_a_command_on_an_org_one_cannot_see_reads_like_one_on_a_missing_org(admin, outsider):
    tree = make_tree(admin)
    hidden, missing = tree.org["slug"], unique("missing")
    for suffix, method, body in [
        ("", "PATCH", {"name": "x"}),
        ("/teams", "POST", {"name": "x"}),
        ("/teams/nope/workspaces", "POST", {"name": "x"}),
        (f"/teams/{tree.team['slug']}/workspaces", "POST", {"name": "x"}),
        ("/members/nobody", "PUT", {"role": "viewer"}),
        (":leave", "POST", None),
    ]:
        answers = [
            _detail(
                outsider.request(
                    method, f"/v1/orgs/{ref}{suffix}", json=body, headers={"If-Match": '"1"'}
                ),
                ref,
            )
            for ref in (hidden, missing)
        ]
        assert answers[0] == answers[1], (suffix, answers)


@pytest.fixture
def config_path(admin) -> tuple[str, dict]:
    org = created(admin.post("/v1/orgs", json={"name": unique("numbers")}))["slug"]
    made = admin.post(
        f"/v1/orgs/{org}/configs", json={"name": "C", "category": "llm", "content": {"a": 1}}
    )
    assert made.status_code == 201, made.text
    return f"/v1/orgs/{org}/configs/c", read_after(made)


@pytest.mark.parametrize("number", ["²", "١", "１", "1_0", "+1", " 1"])
def test_a_version_number_is_ascii_digits_only(admin, config_path, number):
    base, rw = config_path
    assert admin.get(f"{base}/versions/1", params=rw).status_code == 200
    assert_problem(admin.get(f"{base}/versions/{number}", params=rw), 404)
    assert_problem(admin.get(f"{base}/diff", params={"from": number, **rw}), 404)


@pytest.mark.parametrize("position", ["١", "1_0", "+1"])
def test_a_page_token_holds_ascii_digits_only(admin, position):
    token = base64.urlsafe_b64encode(f"p:{position}".encode()).decode().rstrip("=")
    listed = admin.get("/v1/orgs", params={"page_token": token})
    assert listed.status_code in (400, 422), listed.text


@pytest.mark.parametrize("value", ["+5", " 5", "1_0", "١", "²"])
def test_query_integers_take_ascii_digits_only(admin, value):
    assert_problem(admin.get("/v1/orgs", params={"page_size": value}), 422, "page_size")
    assert_problem(admin.get("/v1/orgs", params={"min_position": value}), 422, "min_position")


def test_an_if_match_version_in_other_digits_is_a_bad_request(admin):
    org = admin.post("/v1/orgs", json={"name": unique("Digits")})
    response = admin.patch(
        f"/v1/orgs/{org.json()['guid']}",
        json={"description": "x"},
        headers={"If-Match": '"١"'.encode()},
    )
    assert_problem(response, 400, "If-Match")
