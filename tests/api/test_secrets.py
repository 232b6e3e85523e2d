"""Secrets over HTTP: scoped names, versions by rotation, soft delete, write-only values,
and bad input refused with the field named and nothing stored."""

from __future__ import annotations

import uuid

import pytest
from support.api import assert_problem, created, etag_of, make_tree, read_after, writes_nothing


@pytest.fixture(scope="module")
def tree(stack):
    with stack.admin() as admin:
        return make_tree(admin, "vaulted")


def test_a_local_secret_is_created_rotated_and_read_back_without_its_value(admin, tree):
    value = f"sk-{uuid.uuid4().hex}"
    made = admin.post(
        f"{tree.org_path}/secrets",
        json={"name": "OPENAI_API_KEY", "backend": "local", "value": value},
    )
    body = created(made)
    assert value not in made.text
    assert body["latest_version"] == 1 and body["backend"] == "local"
    assert made.headers["Location"].endswith(f"/secrets/{body['guid']}")
    rotated = admin.post(
        f"{tree.org_path}/secrets/OPENAI_API_KEY:rotate", json={"value": value + "-2"}
    )
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["latest_version"] == 2
    read = admin.get(f"{tree.org_path}/secrets/openai-api-key", params=read_after(rotated))
    assert read.status_code == 200 and read.json()["latest_version"] == 2
    versions = admin.get(f"{tree.org_path}/secrets/{body['guid']}/versions").json()["items"]
    assert [v["version_number"] for v in versions] == [1, 2]
    assert versions[0]["reference"] == {"cipher": "AES-256-GCM"}
    history = admin.get(f"{tree.org_path}/secrets/OPENAI_API_KEY/history").json()["items"]
    assert [h["type"] for h in history] == [
        "Secret.Created",
        "Secret.VersionAdded",
        "Secret.VersionAdded",
    ]
    assert history[1]["data"]["stored"]["ciphertext"] == "(hidden)"
    for response in (made, rotated, read):
        assert value not in response.text


def test_names_are_unique_per_scope_and_may_repeat_in_other_scopes(stack, admin, tree):
    for path in (tree.org_path, tree.team_path, tree.ws_path):
        created(
            admin.post(
                f"{path}/secrets", json={"name": "DB_PASSWORD", "backend": "local", "value": "p"}
            )
        )
    listed = admin.get(f"{tree.ws_path}/secrets", params=tree.read)
    assert [s["name"] for s in listed.json()["items"]] == ["DB_PASSWORD"]
    with writes_nothing(stack):
        clash = admin.post(
            f"{tree.team_path}/secrets",
            json={"name": "db-password", "backend": "local", "value": "q"},
        )
    assert_problem(clash, 409, "name")


def test_delete_and_undelete_follow_if_match(admin, tree):
    made = admin.post(
        f"{tree.ws_path}/secrets", json={"name": "TEMP", "backend": "local", "value": "t"}
    )
    created(made)
    assert_problem(admin.delete(f"{tree.ws_path}/secrets/TEMP"), 428)
    deleted = admin.delete(f"{tree.ws_path}/secrets/TEMP", headers={"If-Match": etag_of(made)})
    assert deleted.status_code == 200 and deleted.json()["deleted_at"]
    hidden = admin.get(f"{tree.ws_path}/secrets/TEMP", params=read_after(deleted))
    assert_problem(hidden, 404)
    restored = admin.post(f"{tree.ws_path}/secrets/TEMP:undelete")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "X", "backend": "gcp", "value": "zq-1"}, 422, "backend"),
        (
            {"name": "X", "backend": "vault", "value": "zq-2", "path_or_arn": "elsewhere/x"},
            422,
            "path_or_arn",
        ),
        (
            {"name": "X", "backend": "vault", "value": "zq-3", "path_or_arn": "signalyard/../x"},
            422,
            "path_or_arn",
        ),
        ({"name": "X", "backend": "local", "value": "zq-4" * 20_000}, 413, "value"),
        ({"name": "X", "backend": "local"}, 422, "value"),
        (
            {"name": "X", "backend": "local", "value": "zq-5", "path_or_arn": "a/b"},
            422,
            "path_or_arn",
        ),
        (
            {"name": "X", "backend": "vault", "path_or_arn": "signalyard/nothing-here"},
            422,
            "path_or_arn",
        ),
        ({"name": "1X", "backend": "local", "value": "zq-6"}, 422, "name"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_stores_nothing(
    stack, admin, tree, body, status, field
):
    with writes_nothing(stack):
        answer = admin.post(f"{tree.team_path}/secrets", json=body)
    assert_problem(answer, status, field)
    if "value" in body:
        assert body["value"] not in answer.text


def test_a_vault_secret_pins_the_kv_version_it_wrote(admin, tree):
    path = f"signalyard/{uuid.uuid4().hex}"
    made = created(
        admin.post(
            f"{tree.org_path}/secrets",
            json={"name": "VAULTED", "backend": "vault", "value": "v1", "path_or_arn": path},
        )
    )
    rotated = admin.post(f"{tree.org_path}/secrets/VAULTED:rotate", json={"value": "v2"})
    assert rotated.status_code == 200, rotated.text
    versions = admin.get(
        f"{tree.org_path}/secrets/{made['guid']}/versions", params=read_after(rotated)
    ).json()["items"]
    assert [v["reference"]["kv_version"] for v in versions] == ["1", "2"]
    assert all(v["reference"]["path"] == path for v in versions)
