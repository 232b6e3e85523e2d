"""Idempotency keys and the caller: nothing is replayed, read or parsed before the caller is
known; keys belong to the caller's token, not to how its header is spelled; a response that
carried a secret is never kept; the query is part of the request; keys expire."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import psycopg
from support.api import assert_problem, new_user, unique

from domain.identity.token import token_id_for


def _key() -> dict[str, str]:
    return {"Idempotency-Key": unique("key")}


def test_a_revoked_token_gets_no_replay(admin, stack):
    user, token = new_user(admin)
    key = _key()
    with stack.client(token) as client:
        first = client.post("/v1/orgs", json={"name": unique("Replay")}, headers=key)
        assert first.status_code == 201
        tokens = admin.get(f"/v1/users/{user}/tokens").json()["items"]
        assert admin.delete(f"/v1/users/{user}/tokens/{tokens[0]['guid']}").status_code == 200
        again = client.post("/v1/orgs", json={"name": "ignored"}, headers=key)
    assert_problem(again, 401)


def test_a_new_tokens_secret_is_never_kept_nor_replayed(admin, stack):
    user, _ = new_user(admin)
    key = _key()
    first = admin.post(f"/v1/users/{user}/tokens", json={"name": "ci"}, headers=key)
    assert first.status_code == 201
    secret = first.json()["token"]
    again = admin.post(f"/v1/users/{user}/tokens", json={"name": "ci"}, headers=key)
    problem = assert_problem(again, 409)
    assert problem["title"] == "Secret shown once" and secret not in again.text
    with psycopg.connect(stack.settings.database_url, autocommit=True) as conn:
        stored = conn.execute(
            f"SELECT count(*) FROM {stack.settings.event_schema}.command_outcomes"
            " WHERE position(%s::bytea in coalesce(body, ''::bytea)) > 0",
            (secret.encode(),),
        ).fetchone()
    assert stored == (0,)
    assert len(admin.get(f"/v1/users/{user}/tokens").json()["items"]) == 2  # created once


def test_keys_belong_to_the_token_whatever_the_header_spelling(stack):
    key = _key()
    name = unique("Spelled")
    with stack.client() as client:
        first = client.post(
            "/v1/orgs",
            json={"name": name},
            headers={**key, "Authorization": f"Bearer {stack.admin_token}"},
        )
        again = client.post(
            "/v1/orgs",
            json={"name": name},
            headers={**key, "Authorization": f"bearer   {stack.admin_token}"},
        )
    assert first.status_code == 201
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["guid"] == first.json()["guid"]


def test_the_query_is_part_of_the_request(admin):
    key = _key()
    body = {"name": unique("Query")}
    assert admin.post("/v1/orgs", json=body, headers=key).status_code == 201
    other = admin.post("/v1/orgs", json=body, headers=key, params={"dry": "1"})
    assert_problem(other, 422)


def test_an_expired_key_is_a_new_request(admin, stack):
    key = _key()
    first = admin.post("/v1/orgs", json={"name": unique("Old")}, headers=key)
    assert first.status_code == 201
    with psycopg.connect(stack.settings.database_url, autocommit=True) as conn:
        conn.execute(
            f"UPDATE {stack.settings.event_schema}.command_outcomes"
            " SET created_at = now() - interval '25 hours' WHERE scope = %s AND key = %s",
            (str(token_id_for(stack.admin_token)), key["Idempotency-Key"]),
        )
    second = admin.post("/v1/orgs", json={"name": unique("New")}, headers=key)
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert second.json()["guid"] != first.json()["guid"]


def test_an_anonymous_upload_is_refused_before_its_body_is_read(stack):
    url = urlsplit(stack.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as conn:
        conn.sendall(
            b"POST /v1/orgs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 20000000\r\n\r\n{"name": '
        )
        started = time.monotonic()
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert time.monotonic() - started < 2  # not after waiting for 20 MB that never come
