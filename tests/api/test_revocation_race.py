"""A revocation wins over every write that commits after it: many concurrent writers use a
token while an admin revokes it, and no event by that token's user lands after the
revocation's position."""

from __future__ import annotations

import threading
import time

import psycopg
from psycopg import sql
from support.api import new_user, unique

WRITERS = 8


def test_no_write_by_a_revoked_token_commits_after_its_revocation(admin, stack):
    user, token = new_user(admin)
    org = None
    with stack.client(token) as client:
        created = client.post("/v1/orgs", json={"name": unique("Race")})
        assert created.status_code == 201, created.text
        org = created.json()["slug"]
    token_id = _token_id(admin, user)
    stop = threading.Event()
    answers: list[int] = []

    def write() -> None:
        with stack.client(token) as client:
            while not stop.is_set():
                answers.append(
                    client.post(f"/v1/orgs/{org}/teams", json={"name": unique("t")}).status_code
                )

    writers = [threading.Thread(target=write) for _ in range(WRITERS)]
    for writer in writers:
        writer.start()
    _until(lambda: answers.count(201) >= WRITERS)  # the writers are in full flow
    revoked = admin.delete(f"/v1/users/{user}/tokens/{token_id}")
    assert revoked.status_code == 200, revoked.text
    _until(lambda: answers.count(401) >= WRITERS)  # every writer has been refused since
    stop.set()
    for writer in writers:
        writer.join(timeout=30)

    revocation = int(revoked.headers["X-Signalyard-Position"])
    assert 201 in answers and 401 in answers  # the race really was run
    assert _last_position_by(stack, user) < revocation


def _until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the race did not get going"
        time.sleep(0.01)


def _token_id(admin, user: str) -> str:
    tokens = admin.get(f"/v1/users/{user}/tokens").json()["items"]
    assert len(tokens) == 1
    return tokens[0]["guid"]


def _last_position_by(stack, user: str) -> int:
    table = sql.Identifier(stack.settings.event_schema, "signalyard_events")
    with psycopg.connect(stack.settings.database_url, autocommit=True) as conn:
        row = conn.execute(
            sql.SQL(
                "SELECT max(notification_id) FROM {}"
                " WHERE convert_from(state, 'UTF8')::jsonb -> 'meta' ->> 'actor' = %s"
            ).format(table),
            (user,),
        ).fetchone()
    assert row is not None and row[0] is not None
    return row[0]
