"""The dispatcher API over HTTP: credentials minted by platform admins (shown once, never in
events or reads), dispatchers acting as themselves (the actor of their events), claims of
which exactly one racer wins, reports fenced by the attempt (409 naming the current one),
and credentials that open only this API (and only while unrevoked)."""

from __future__ import annotations

import threading
import uuid

import httpx
from support.api import assert_problem, created, make_tree, new_user, read_after, unique

from domain.infra.dispatcher_instance import dispatcher_id_of
from signalyard.bootstrap import build_store, database_url

DISPATCH = "/v1/dispatch"
CREDENTIALS = "/v1/dispatcher-credentials"


def _credential(admin: httpx.Client) -> tuple[str, str]:
    """(dispatcher name, secret) of a new credential."""
    return _minted(admin)[:2]


def _minted(admin: httpx.Client) -> tuple[str, str, str]:
    """(dispatcher name, secret, guid) of a new credential."""
    dispatcher = unique("dispatcher")
    issued = created(admin.post(CREDENTIALS, json={"dispatcher_name": dispatcher, "name": "test"}))
    return dispatcher, issued["secret"], issued["guid"]


def _tree(admin: httpx.Client):
    tree = make_tree(admin, "dispatch-api")
    created(
        admin.post(
            f"{tree.org_path}/runtime-targets",
            json={"name": "Local", "backend_type": "local", "is_default": True},
        )
    )
    return tree


def _queued_task(admin: httpx.Client, tree) -> str:
    sent = admin.post(
        f"{tree.project_path}/tasks", json={"brief": "b", "agent_image": "acme/agent:1"}
    )
    assert sent.status_code == 202, sent.text
    assert sent.json()["status"] == "queued"
    return sent.json()["guid"]


def _as(stack, secret: str) -> httpx.Client:
    return stack.client(secret)


def test_a_platform_admin_mints_a_credential_whose_secret_is_shown_once(stack, admin):
    dispatcher = unique("dispatcher")
    issued = admin.post(CREDENTIALS, json={"dispatcher_name": dispatcher, "name": "edge"})
    body = created(issued)
    secret = body["secret"]
    assert secret.startswith("sydd_") and body["dispatcher_name"] == dispatcher
    listed = admin.get(CREDENTIALS, params={**read_after(issued), "page_size": 200})
    one = admin.get(f"{CREDENTIALS}/{body['guid']}")
    assert one.status_code == 200 and "secret" not in one.json()
    rows = [r for r in listed.json()["items"] if r["guid"] == body["guid"]]
    assert rows and "secret" not in rows[0] and secret not in listed.text
    store = build_store(stack.settings, database_url(stack.settings))
    try:
        events = store.history(uuid.UUID(body["guid"]))
    finally:
        store.close()
    assert events and all(secret not in repr(vars(e)) for e in events)


def test_only_platform_admins_manage_dispatcher_credentials(stack, admin):
    _, token = new_user(admin)
    with stack.client(token) as user:
        minted = user.post(CREDENTIALS, json={"dispatcher_name": "mine", "name": "x"})
        listed = user.get(CREDENTIALS)
    assert_problem(minted, 403)
    assert_problem(listed, 403)


def test_a_dispatcher_claims_and_reports_as_itself(stack, admin):
    tree = _tree(admin)
    task = _queued_task(admin, tree)
    name, secret = _credential(admin)
    with _as(stack, secret) as dispatcher:
        registered = dispatcher.post(f"{DISPATCH}/register", json={"runtime": "local"})
        claimed = dispatcher.post(f"{DISPATCH}/tasks/{task}:claim", json={"attempt": 1})
        started = dispatcher.post(f"{DISPATCH}/tasks/{task}:start", json={"attempt": 1})
        done = dispatcher.post(
            f"{DISPATCH}/tasks/{task}:succeed", json={"attempt": 1, "detail": {"answer": 42}}
        )
    assert registered.status_code == 200, registered.text
    assert registered.json() == {"dispatcher_id": str(dispatcher_id_of(name)), "name": name}
    assert claimed.status_code == 200 and claimed.json()["status"] == "dispatched"
    assert started.json()["status"] == "running"
    assert done.status_code == 200 and done.json()["status"] == "succeeded"
    read = admin.get(f"{tree.project_path}/tasks/{task}", params=read_after(done)).json()
    assert read["status"] == "succeeded" and read["result"] == {"answer": 42}
    assert read["dispatcher_id"] == name
    history = admin.get(f"{tree.project_path}/tasks/{task}/history").json()["items"]
    actors = {e["type"].split(".")[-1]: e["actor"] for e in history}
    me = str(dispatcher_id_of(name))
    assert actors["Claimed"] == actors["Started"] == actors["Succeeded"] == me


def test_of_racing_claimers_exactly_one_wins_and_the_others_get_409(stack, admin):
    tree = _tree(admin)
    tasks = [_queued_task(admin, tree) for _ in range(8)]
    secrets = [_credential(admin)[1] for _ in range(3)]
    answers: dict[str, list[int]] = {t: [] for t in tasks}
    gate = threading.Barrier(len(secrets))

    def claim_all(secret: str) -> None:
        with _as(stack, secret) as dispatcher:
            gate.wait()
            for task in tasks:
                got = dispatcher.post(f"{DISPATCH}/tasks/{task}:claim", json={"attempt": 1})
                answers[task].append(got.status_code)

    threads = [threading.Thread(target=claim_all, args=(s,)) for s in secrets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for task, codes in answers.items():
        assert sorted(codes) == [200, 409, 409], (task, codes)


def test_a_late_report_of_an_old_attempt_gets_409_naming_the_current_attempt(stack, admin):
    tree = _tree(admin)
    task = _queued_task(admin, tree)
    _, secret = _credential(admin)
    url = f"{DISPATCH}/tasks/{task}"
    with _as(stack, secret) as dispatcher:
        dispatcher.post(f"{url}:claim", json={"attempt": 1})
        dispatcher.post(f"{url}:start", json={"attempt": 1})
        admin.post(f"{tree.project_path}/tasks/{task}:cancel", json={})
        dispatcher.post(f"{url}:confirm-cancelled", json={"attempt": 1})
        retried = admin.post(f"{tree.project_path}/tasks/{task}:retry", json={})
        assert retried.status_code == 200 and retried.json()["attempt"] == 2, retried.text
        late = dispatcher.post(f"{url}:succeed", json={"attempt": 1, "detail": {}})
        early = dispatcher.post(f"{url}:succeed", json={"attempt": 2, "detail": {}})
    problem = assert_problem(late, 409)
    assert problem["current_attempt"] == 2
    assert assert_problem(early, 409)["current_status"] == "queued"
    read = admin.get(f"{tree.project_path}/tasks/{task}", params=read_after(retried)).json()
    assert read["status"] == "queued" and read["attempt"] == 2


def test_a_dispatcher_cannot_report_on_an_attempt_another_one_claimed(stack, admin):
    tree = _tree(admin)
    task = _queued_task(admin, tree)
    (_, mine), (_, other) = _credential(admin), _credential(admin)
    with _as(stack, mine) as owner, _as(stack, other) as intruder:
        assert owner.post(f"{DISPATCH}/tasks/{task}:claim", json={"attempt": 1}).is_success
        stolen = intruder.post(f"{DISPATCH}/tasks/{task}:start", json={"attempt": 1})
    assert_problem(stolen, 409)
    assert admin.get(f"{tree.project_path}/tasks/{task}").json()["status"] == "dispatched"


def test_a_revoked_credential_is_refused_at_once(stack, admin):
    tree = _tree(admin)
    task = _queued_task(admin, tree)
    _, secret, guid = _minted(admin)
    with _as(stack, secret) as dispatcher:
        assert dispatcher.post(f"{DISPATCH}/heartbeat").status_code == 204
        revoked = admin.delete(f"{CREDENTIALS}/{guid}")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        read = admin.get(f"{CREDENTIALS}/{guid}", params=read_after(revoked)).json()
        assert read["revoked_at"] == revoked.json()["revoked_at"]
        assert_problem(dispatcher.post(f"{DISPATCH}/heartbeat"), 401)
        refused = dispatcher.post(f"{DISPATCH}/tasks/{task}:claim", json={"attempt": 1})
    assert_problem(refused, 401)
    assert admin.get(f"{tree.project_path}/tasks/{task}").json()["status"] == "queued"


def test_a_dispatcher_credential_opens_the_dispatch_api_only(stack, admin):
    _, secret = _credential(admin)
    with _as(stack, secret) as dispatcher:
        write = dispatcher.post("/v1/orgs", json={"name": unique("org")})
        read = dispatcher.get("/v1/orgs")
    assert_problem(write, 401)
    assert_problem(read, 401)
    user_on_dispatch = admin.post(f"{DISPATCH}/heartbeat")
    assert_problem(user_on_dispatch, 401)
