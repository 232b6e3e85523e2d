"""A caller reads its own writes by default: no `min_position`, no header, through any API
process (a second API on the same database stands for another worker or replica)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.api import new_user, unique
from support.stack import Stack, running_stack

ROUNDS = 15


@pytest.fixture(scope="module")
def replica(api_db_url: str, stack: Stack) -> Iterator[Stack]:
    """Another API process on the same database, with no projection runner of its own."""
    with running_stack(api_db_url, projections=False) as running:
        yield running


def test_a_create_is_in_the_next_list_without_asking(admin):
    org = admin.post("/v1/orgs", json={"name": unique("Ryw")}).json()["slug"]
    for _ in range(ROUNDS):
        team = admin.post(f"/v1/orgs/{org}/teams", json={"name": unique("t")}).json()
        slugs = [t["slug"] for t in admin.get(f"/v1/orgs/{org}/teams").json()["items"]]
        assert team["slug"] in slugs


def test_a_delete_is_gone_from_the_next_read_without_asking(admin):
    org = admin.post("/v1/orgs", json={"name": unique("Gone")}).json()["slug"]
    for _ in range(ROUNDS):
        team = admin.post(f"/v1/orgs/{org}/teams", json={"name": unique("t")})
        path = f"/v1/orgs/{org}/teams/{team.json()['slug']}"
        assert admin.delete(path, headers={"If-Match": team.headers["ETag"]}).status_code < 300
        assert admin.get(path).status_code == 404


def test_writes_through_one_api_process_are_read_through_another(admin, stack, replica):
    _, token = new_user(admin)
    with stack.client(token) as writer, replica.client(token) as reader:
        for _ in range(ROUNDS):
            org = writer.post("/v1/orgs", json={"name": unique("Far")})
            assert org.status_code == 201, org.text
            assert reader.get(f"/v1/orgs/{org.json()['guid']}").status_code == 200


def test_another_callers_write_needs_min_position_to_be_waited_for(admin, stack):
    _, token = new_user(admin)
    with stack.client(token) as other:
        org = admin.post("/v1/orgs", json={"name": unique("Theirs")})
        read = other.get(
            f"/v1/orgs/{org.json()['guid']}",
            params={"min_position": org.headers["X-Signalyard-Position"]},
        )
    assert read.status_code == 404  # waited for the write: the org exists and is not theirs
