"""Purging a deleted organization destroys its data key: its stored ciphertext no longer
opens, while every event stays in the log and every aggregate still rebuilds from it."""

from __future__ import annotations

import uuid

import pytest
from support.api import add_member, assert_problem, created, etag_of, unique
from support.secrets import secrets_of

from domain.core.context import system_context
from domain.secrets.errors import SecretGone
from domain.secrets.ports import SecretLocator
from domain.secrets.resolution import AttemptScope, Resolved, SecretRequest
from domain.secrets.secret import Secret
from domain.secrets.shredding import OrgPurge


def test_a_purged_org_s_ciphertext_no_longer_opens_and_its_log_stays_whole(stack, admin):
    org = created(admin.post("/v1/orgs", json={"name": unique("shredded")}))
    base = f"/v1/orgs/{org['slug']}"
    secret = created(
        admin.post(f"{base}/secrets", json={"name": "KEY", "backend": "local", "value": "gone"})
    )
    org_id, secret_id = uuid.UUID(org["guid"]), uuid.UUID(secret["guid"])
    with secrets_of(stack) as context:
        scope = AttemptScope(org_id)
        before = context.resolver.resolve_for_attempt(
            system_context(), scope, uuid.uuid4(), 1, [SecretRequest("KEY")], "test"
        )
        assert isinstance(before, Resolved) and before.secrets[0].value == b"gone"
        events_before = len(context.service.store.history(secret_id))

    assert_problem(admin.post(f"{base}:purge"), 409)  # not deleted yet
    current = admin.get(base)
    deleted = admin.delete(base, headers={"If-Match": etag_of(current)})
    assert deleted.status_code == 200, deleted.text
    purged = admin.post(f"/v1/orgs/{org['guid']}:purge")
    assert purged.status_code == 200, purged.text
    assert purged.json() == {
        "organization_id": org["guid"],
        "purged": True,
        "data_key_destroyed": True,
    }
    assert admin.post(f"/v1/orgs/{org['guid']}:purge").status_code == 200  # idempotent

    with secrets_of(stack) as context:  # a new process: nothing cached
        store = context.service.store
        kept = store.find(secret_id, Secret)
        assert kept is not None and len(store.history(secret_id)) == events_before
        stored = kept.stored(1)
        backend = context.service.backend("local")
        at = SecretLocator(org_id, secret_id, 1, "")
        with pytest.raises(SecretGone, match="destroyed"):
            backend.get(at, stored)
        with pytest.raises(SecretGone):
            context.resolver.resolve_for_attempt(
                system_context(), scope, uuid.uuid4(), 1, [SecretRequest("KEY")], "test"
            )
        purge = store.find(OrgPurge.create_id(org_id), OrgPurge)
        assert purge is not None
        assert [type(e).__name__ for e in store.history(purge.id)] == ["Purged"]
        assert store.history(purge.id)[0].meta["actor"] is not None
        pool = context.purger.keyring.pool  # type: ignore[union-attr]
        with pool.connection() as conn:
            row = conn.execute(
                "SELECT wrapped_key, destroyed_at FROM secrets.org_data_keys"
                " WHERE organization_id = %s",
                (org_id,),
            ).fetchone()
        assert row[0] is None and row[1] is not None


def test_only_owners_purge(stack, admin):
    org = created(admin.post("/v1/orgs", json={"name": unique("kept")}))
    _, token, _ = add_member(admin, org["slug"], "admin")
    with stack.client(token) as client:
        assert_problem(client.post(f"/v1/orgs/{org['slug']}:purge"), 403)


def test_a_purged_org_can_never_be_restored(stack, admin):
    org = created(admin.post("/v1/orgs", json={"name": unique("final")}))
    path = f"/v1/orgs/{org['guid']}"
    assert admin.delete(path, headers={"If-Match": etag_of(admin.get(path))}).status_code == 200
    assert admin.post(f"{path}:purge").status_code == 200
    refused = admin.post(f"{path}:undelete")
    assert_problem(refused, 409)
    assert "purged" in refused.json()["detail"]
    assert admin.get(path).status_code == 404  # still deleted


def test_a_restore_racing_a_purge_never_both_commit(stack, admin):
    """The purge writes to the org as well: of a purge and an undelete of the same
    deleted org sent together, at most one commits — never a live org whose key is gone."""
    from concurrent.futures import ThreadPoolExecutor

    for _ in range(5):
        org = created(admin.post("/v1/orgs", json={"name": unique("race")}))
        path = f"/v1/orgs/{org['guid']}"
        deleted = admin.delete(path, headers={"If-Match": etag_of(admin.get(path))})
        assert deleted.status_code == 200
        with ThreadPoolExecutor(2) as pool:
            purge = pool.submit(admin.post, f"{path}:purge")
            restore = pool.submit(admin.post, f"{path}:undelete")
            purged, restored = purge.result(), restore.result()
        assert not (purged.status_code == 200 and restored.status_code == 200)
        live = admin.get(path).status_code == 200
        with secrets_of(stack) as context:
            purge_done = (
                context.service.store.find(OrgPurge.create_id(uuid.UUID(org["guid"])), OrgPurge)
                is not None
            )
        assert not (live and purge_done)
