"""Resolving a task attempt's secrets (what the dispatcher calls): nearest scope first,
inheritance opt-out, version pinning per attempt, the access ledger, and the errors."""

from __future__ import annotations

import uuid

import pytest
from support.api import add_member, created, make_tree, read_after
from support.secrets import secrets_of

from domain.core.context import system_context
from domain.core.errors import NotFound
from domain.secrets.resolution import AttemptScope, Resolved, SecretRequest


@pytest.fixture(scope="module")
def world(stack):
    with stack.admin() as admin:
        tree = make_tree(admin, "resolving")
        for path, value, inherit in (
            (tree.org_path, "org-token", True),
            (tree.team_path, "team-token", True),
            (tree.ws_path, "ws-token", True),
        ):
            body = {"name": "API_TOKEN", "backend": "local", "value": value, "inherit": inherit}
            created(admin.post(f"{path}/secrets", json=body))
        body = {"name": "ORG_ONLY", "backend": "local", "value": "org-only", "inherit": False}
        created(admin.post(f"{tree.org_path}/secrets", json=body))
        body = {"name": "SHARED", "backend": "local", "value": "shared-1"}
        created(admin.post(f"{tree.org_path}/secrets", json=body))
    with secrets_of(stack) as context:
        yield tree, context


def _scope(tree, depth: str) -> AttemptScope:
    org = uuid.UUID(tree.org["guid"])
    team = uuid.UUID(tree.team["guid"]) if depth in ("team", "ws") else None
    ws = uuid.UUID(tree.ws["guid"]) if depth == "ws" else None
    return AttemptScope(org, team, ws)


def _resolve(context, scope, *requests, task=None, attempt=1) -> Resolved:
    outcome = context.resolver.resolve_for_attempt(
        system_context(), scope, task or uuid.uuid4(), attempt, list(requests), "dispatcher-1"
    )
    assert isinstance(outcome, Resolved), outcome
    return outcome


@pytest.mark.parametrize(
    ("depth", "expected"), [("org", b"org-token"), ("team", b"team-token"), ("ws", b"ws-token")]
)
def test_the_nearest_scope_wins(world, depth, expected):
    tree, context = world
    resolved = _resolve(context, _scope(tree, depth), SecretRequest("API_TOKEN"))
    assert resolved.secrets[0].value == expected


def test_a_secret_that_opts_out_of_inheritance_serves_only_its_own_scope(world):
    tree, context = world
    assert _resolve(context, _scope(tree, "org"), SecretRequest("ORG_ONLY")).secrets[0].value
    with pytest.raises(NotFound):
        _resolve(context, _scope(tree, "ws"), SecretRequest("ORG_ONLY"))


def test_an_attempt_keeps_the_version_it_first_resolved_and_the_ledger_shows_it(stack, world):
    tree, context = world
    task = uuid.uuid4()
    scope = _scope(tree, "ws")
    first = _resolve(context, scope, SecretRequest("SHARED", target="SHARED"), task=task)
    assert (first.secrets[0].version, first.secrets[0].value) == (1, b"shared-1")
    with stack.admin() as admin:
        rotated = admin.post(f"{tree.org_path}/secrets/SHARED:rotate", json={"value": "shared-2"})
        assert rotated.status_code == 200, rotated.text
    again = _resolve(context, scope, SecretRequest("SHARED"), task=task)
    assert (again.secrets[0].version, again.secrets[0].value) == (1, b"shared-1")
    retried = _resolve(context, scope, SecretRequest("SHARED"), task=task, attempt=2)
    assert (retried.secrets[0].version, retried.secrets[0].value) == (2, b"shared-2")
    pinned = _resolve(context, scope, SecretRequest("SHARED", version=1))
    assert pinned.secrets[0].value == b"shared-1"
    with stack.admin() as admin:
        ledger = admin.get(
            f"{tree.org_path}/secrets/SHARED/accesses",
            params={"min_position": str(pinned.position)},
        )
        assert ledger.status_code == 200, ledger.text
        rows = [r for r in ledger.json()["items"] if r["task_id"] == str(task)]
        assert [(r["attempt"], r["version_number"], r["times"]) for r in rows] == [
            (1, 1, 2),
            (2, 2, 1),
        ]
        assert rows[0]["resolver"] == "dispatcher-1" and rows[0]["backend"] == "local"
        assert "shared-1" not in ledger.text


def test_operators_list_names_but_may_not_read_the_ledger_auditors_may(stack, world):
    tree, _ = world
    with stack.admin() as admin:
        _, operator, _ = add_member(admin, tree.org["slug"], "operator")
        _, auditor, last = add_member(admin, tree.org["slug"], "auditor")
    with stack.client(operator) as client:
        listed = client.get(f"{tree.org_path}/secrets", params=read_after(last))
        assert {"API_TOKEN", "SHARED"} <= {s["name"] for s in listed.json()["items"]}
        assert client.get(f"{tree.org_path}/secrets/SHARED/accesses").status_code == 403
        denied = client.post(f"{tree.org_path}/secrets/SHARED:rotate", json={"value": "x"})
        assert denied.status_code == 403
    with stack.client(auditor) as client:
        assert client.get(f"{tree.org_path}/secrets/SHARED/accesses").status_code == 200


def test_a_missing_secret_or_version_is_an_error_naming_it(world):
    tree, context = world
    with pytest.raises(NotFound, match="NOPE"):
        _resolve(context, _scope(tree, "ws"), SecretRequest("NOPE"))
    with pytest.raises(NotFound, match="version 9"):
        _resolve(context, _scope(tree, "ws"), SecretRequest("SHARED", version=9))
