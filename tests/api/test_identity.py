"""Users, API tokens and /v1/me over HTTP: registration, tokens shown once, expiry,
revocation, and who may see whom."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from support.api import assert_problem, new_user, read_after, unique, writes_nothing

from domain.core.context import system_context
from domain.identity.service import IdentityService
from domain.identity.token import ApiToken, new_token_secret, token_id_for
from signalyard.bootstrap import build_store


def test_register_a_user(admin):
    slug = unique("carol")
    response = admin.post(
        "/v1/users",
        json={"name": "Carol", "slug": slug, "email": "carol@example.com", "description": "ops"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["slug"], body["name"], body["email"]) == (slug, "Carol", "carol@example.com")
    assert body["is_service_account"] is False and body["is_platform_admin"] is False
    assert body["is_active"] is True and body["version"] == 1
    assert response.headers["Location"] == f"/v1/users/{body['guid']}"
    assert response.headers["ETag"] == '"1"'
    read = admin.get(response.headers["Location"], params=read_after(response))
    assert read.status_code == 200 and read.json()["slug"] == slug
    assert admin.get(f"/v1/users/{slug}", params=read_after(response)).json() == read.json()


def test_a_slug_is_generated_from_the_name(admin):
    name = unique("Dora Explorer")
    response = admin.post("/v1/users", json={"name": name, "is_service_account": True})
    assert response.status_code == 201, response.text
    assert response.json()["slug"] == name.lower().replace(" ", "-")
    assert response.json()["is_service_account"] is True


def test_only_platform_admins_register_users(admin, stack):
    _, token = new_user(admin)
    with stack.client(token) as user, writes_nothing(stack):
        assert_problem(user.post("/v1/users", json={"name": unique("x")}), 403)


def test_user_registration_errors_write_nothing(admin, stack):
    taken = unique("taken")
    assert admin.post("/v1/users", json={"name": taken, "slug": taken}).status_code == 201
    with writes_nothing(stack):
        assert_problem(admin.post("/v1/users", json={"name": "x", "slug": taken}), 409, "slug")
        bad_email = admin.post("/v1/users", json={"name": "x", "email": "not-an-email"})
        assert_problem(bad_email, 422, "email")
        assert_problem(admin.post("/v1/users", json={"name": "x", "slug": "Bad Slug"}), 422, "slug")
        assert_problem(admin.post("/v1/users", json={}), 422, "name")
        for flag in ("is_platform_admin", "is_service_account"):
            for not_a_bool in ("yes", "true", 1):
                typed = admin.post("/v1/users", json={"name": "x", flag: not_a_bool})
                assert_problem(typed, 422, flag)


def test_issue_token_shows_the_secret_once_and_it_authenticates(admin, stack):
    user, _ = new_user(admin)
    issued = admin.post(f"/v1/users/{user}/tokens", json={"name": "ci"})
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["token"].startswith("syd_") and len(body["token"]) > 30
    assert (body["user_id"], body["name"], body["expires_at"]) == (user, "ci", None)
    assert issued.headers["Location"] == f"/v1/users/{user}/tokens/{body['guid']}"
    with stack.client(body["token"]) as client:
        me = client.get("/v1/me")
        assert me.status_code == 200 and me.json()["guid"] == user
        assert me.headers["ETag"]
    listed = admin.get(f"/v1/users/{user}/tokens", params=read_after(issued))
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert body["guid"] in {t["guid"] for t in items}
    assert all("token" not in t for t in items)
    assert body["token"] not in listed.text


def test_a_user_manages_its_own_tokens_but_not_others(admin, stack):
    alice, alice_token = new_user(admin, "alice")
    bob, _ = new_user(admin, "bob")
    with stack.client(alice_token) as client:
        own = client.post(f"/v1/users/{alice}/tokens", json={"name": "laptop"})
        assert own.status_code == 201, own.text
        with writes_nothing(stack):
            assert_problem(client.post(f"/v1/users/{bob}/tokens", json={"name": "steal"}), 404)
        assert_problem(client.get(f"/v1/users/{bob}", params=read_after(own)), 404)
        assert_problem(client.get(f"/v1/users/{bob}/tokens", params=read_after(own)), 404)
        assert_problem(client.get(f"/v1/users/{bob}/history"), 404)
        mine = client.get("/v1/users", params=read_after(own)).json()["items"]
        assert [u["guid"] for u in mine] == [alice]
        assert client.get(f"/v1/users/{alice}", params=read_after(own)).status_code == 200


def test_token_expiry_options(admin, stack):
    user, _ = new_user(admin)
    in_days = admin.post(f"/v1/users/{user}/tokens", json={"name": "t", "expires_in_days": 2})
    assert in_days.status_code == 201, in_days.text
    expires = datetime.fromisoformat(in_days.json()["expires_at"])
    assert timedelta(days=1.9) < expires - datetime.now(tz=UTC) < timedelta(days=2.1)
    future = (datetime.now(tz=UTC) + timedelta(hours=1)).isoformat()
    at = admin.post(f"/v1/users/{user}/tokens", json={"name": "t", "expires_at": future})
    assert at.status_code == 201, at.text
    past = (datetime.now(tz=UTC) - timedelta(minutes=1)).isoformat()
    with writes_nothing(stack):
        both = admin.post(
            f"/v1/users/{user}/tokens",
            json={"name": "t", "expires_at": future, "expires_in_days": 1},
        )
        assert_problem(both, 422, "expires_in_days")
        expired = admin.post(f"/v1/users/{user}/tokens", json={"name": "t", "expires_at": past})
        assert_problem(expired, 422, "expires_at")
        zero = admin.post(f"/v1/users/{user}/tokens", json={"name": "t", "expires_in_days": 0})
        assert_problem(zero, 422, "expires_in_days")
        for not_an_int in ("30", 1.5, True):
            typed = admin.post(
                f"/v1/users/{user}/tokens", json={"name": "t", "expires_in_days": not_an_int}
            )
            assert_problem(typed, 422, "expires_in_days")
        assert_problem(admin.post(f"/v1/users/{user}/tokens", json={}), 422, "name")
        assert_problem(admin.post(f"/v1/users/{unique('nobody')}/tokens", json={"name": "t"}), 404)


def test_a_token_revoked_through_another_replica_is_refused_by_the_next_command(admin, stack):
    """Commands take a known token from the server's cache; their first read checks it."""
    user, token = new_user(admin)
    with stack.client(token) as client:
        org = client.post("/v1/orgs", json={"name": unique("org")})
        assert org.status_code == 201, org.text  # the server has the token cached now
        replica = build_store(stack.settings, stack.settings.database_url)
        try:  # another API process, with a cache of its own, revokes it
            IdentityService(replica).revoke_token(system_context(), user, token_id_for(token))
        finally:
            replica.close()
        with writes_nothing(stack):
            teams = f"/v1/orgs/{org.json()['slug']}/teams"
            assert_problem(client.post(teams, json={"name": unique("team")}), 401)
            assert_problem(client.post("/v1/orgs/no-such-org/teams", json={"name": "t"}), 401)
            assert_problem(client.post("/v1/orgs", json={"name": unique("org")}), 401)


def test_a_revoked_token_is_refused_on_the_very_next_request(admin, stack):
    user, token = new_user(admin)
    spare = admin.post(f"/v1/users/{user}/tokens", json={"name": "spare"}).json()["token"]
    with stack.client(token) as client:
        me = client.get("/v1/me")
        assert me.status_code == 200
        token_id = str(token_id_for(token))
        revoked = client.delete(f"/v1/users/{user}/tokens/{token_id}")
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["revoked_at"] is not None
        with writes_nothing(stack):
            refused = client.get("/v1/me")
            assert_problem(refused, 401)
            assert refused.headers["WWW-Authenticate"] == "Bearer"
            assert_problem(client.post("/v1/orgs", json={"name": unique("x")}), 401)
    with stack.client(spare) as client:
        assert client.get("/v1/me").status_code == 200  # other tokens still work
    listed = admin.get(f"/v1/users/{user}/tokens", params=read_after(revoked)).json()["items"]
    assert {t["guid"]: t["revoked_at"] is not None for t in listed}[token_id] is True
    with writes_nothing(stack):
        assert_problem(admin.delete(f"/v1/users/{user}/tokens/{token_id}"), 422)  # already
        assert_problem(admin.delete(f"/v1/users/{user}/tokens/{uuid.uuid4()}"), 404)
        assert_problem(admin.delete(f"/v1/users/{user}/tokens/not-a-uuid"), 422, "token")


def test_an_expired_token_is_refused(admin, stack):
    user, _ = new_user(admin)
    secret = new_token_secret()
    store = build_store(stack.settings, stack.settings.database_url)
    try:
        store.record(
            ApiToken(
                id=token_id_for(secret),
                user_id=uuid.UUID(user),
                name="old",
                expires_at=datetime.now(tz=UTC) - timedelta(seconds=1),
                meta={"actor": "test", "correlation_id": "expired-token-test"},
            )
        )
    finally:
        store.close()
    with stack.client(secret) as client, writes_nothing(stack):
        assert_problem(client.get("/v1/me"), 401)
        assert_problem(client.get("/v1/orgs"), 401)
        assert_problem(client.post("/v1/orgs", json={"name": unique("x")}), 401)


def test_missing_or_malformed_credentials_are_401(stack):
    with stack.client() as anonymous, writes_nothing(stack):
        for path in ("/v1/me", "/v1/orgs", "/v1/users"):
            response = anonymous.get(path)
            assert_problem(response, 401)
            assert response.headers["WWW-Authenticate"] == "Bearer"
        assert_problem(anonymous.post("/v1/orgs", json={"name": "x"}), 401)
        assert_problem(anonymous.get("/v1/me", headers={"Authorization": "Basic YTpi"}), 401)
        assert_problem(anonymous.get("/v1/me", headers={"Authorization": "Bearer"}), 401)
        unknown = {"Authorization": "Bearer syd_" + "x" * 43}
        assert_problem(anonymous.get("/v1/me", headers=unknown), 401)
        huge = {"Authorization": "Bearer " + "x" * 600}
        assert_problem(anonymous.get("/v1/me", headers=huge), 401)


def test_me_and_user_history(admin, stack):
    user, token = new_user(admin)
    with stack.client(token) as client:
        me = client.get("/v1/me")
        assert me.status_code == 200
        body = me.json()
        assert body["guid"] == user and body["is_platform_admin"] is False
        for field in ("slug", "name", "version", "created_at", "created_by", "updated_at"):
            assert field in body
        history = client.get(f"/v1/users/{user}/history")
        assert history.status_code == 200, history.text
        items = history.json()["items"]
        admin_guid = admin.get("/v1/me").json()["guid"]
        assert [(i["type"], i["version"], i["actor"]) for i in items] == [
            ("User.Registered", 1, admin_guid)
        ]
        assert "slug" in items[0]["changed_fields"] and items[0]["timestamp"]
    assert admin.get(f"/v1/users/{user}/history").status_code == 200
