"""Organizations over HTTP: create, read by guid or slug, list, patch with If-Match, soft
delete, show_deleted, undelete, history."""

from __future__ import annotations

from datetime import datetime

from support.api import assert_problem, etag_of, new_user, read_after, unique, writes_nothing

BASE_FIELDS = {
    "guid",
    "slug",
    "name",
    "description",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "deleted_at",
    "deleted_by",
}


def _create(admin, **body):
    body.setdefault("name", unique("Org"))
    response = admin.post("/v1/orgs", json=body)
    assert response.status_code == 201, response.text
    return response


def test_create_returns_the_resource_with_location_etag_and_position(admin):
    me = admin.get("/v1/me").json()
    name = unique("Acme Corp")
    response = admin.post(
        "/v1/orgs",
        json={"name": name, "description": "d", "website": "https://acme.example"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert BASE_FIELDS <= set(body)
    assert body["name"] == name
    assert body["slug"] == name.lower().replace(" ", "-")
    assert body["website"] == "https://acme.example"
    assert body["groups"] == []
    assert body["version"] == 1
    assert body["created_by"] == body["updated_by"] == me["guid"]
    assert body["deleted_at"] is None and body["deleted_by"] is None
    assert response.headers["Location"] == f"/v1/orgs/{body['guid']}"
    assert response.headers["ETag"] == '"1"'
    assert int(response.headers["X-Signalyard-Position"]) > 0
    assert response.headers["X-Request-ID"]


def test_get_by_guid_and_by_slug_return_the_same_organization(admin):
    response = _create(admin, slug=unique("explicit"))
    body = response.json()
    by_guid = admin.get(f"/v1/orgs/{body['guid']}", params=read_after(response))
    by_slug = admin.get(f"/v1/orgs/{body['slug']}", params=read_after(response))
    assert by_guid.status_code == by_slug.status_code == 200
    assert by_guid.json() == by_slug.json()
    assert by_guid.json()["guid"] == body["guid"]
    assert by_guid.headers["ETag"] == '"1"'
    assert BASE_FIELDS <= set(by_guid.json())


def test_location_header_reads_back_the_created_resource(admin):
    response = _create(admin)
    read = admin.get(response.headers["Location"], params=read_after(response))
    assert read.status_code == 200
    assert read.json()["slug"] == response.json()["slug"]


def test_creator_becomes_owner_and_sees_only_its_own_organizations(admin, stack):
    alice_id, alice_token = new_user(admin, "alice")
    with stack.client(alice_token) as alice:
        mine = alice.post("/v1/orgs", json={"name": unique("Alice Org")})
        assert mine.status_code == 201
        other = admin.post("/v1/orgs", json={"name": unique("Not Alice")})
        member = alice.get(
            f"/v1/orgs/{mine.json()['slug']}/members/{alice_id}", params=read_after(other)
        )
        assert member.status_code == 200
        assert member.json()["role"] == "owner"
        listed = alice.get("/v1/orgs", params=read_after(other)).json()
        assert [o["guid"] for o in listed["items"]] == [mine.json()["guid"]]
    everything = admin.get("/v1/orgs", params={**read_after(other), "page_size": 200}).json()
    guids = {o["guid"] for o in everything["items"]}
    assert {mine.json()["guid"], other.json()["guid"]} <= guids  # a platform admin sees all


def test_patch_without_if_match_is_428_and_writes_nothing(admin, stack):
    org = _create(admin).json()
    with writes_nothing(stack):
        response = admin.patch(f"/v1/orgs/{org['slug']}", json={"name": "New"})
    assert_problem(response, 428)


def test_patch_with_a_stale_version_is_412_with_current_version(admin, stack):
    org = _create(admin).json()
    first = admin.patch(
        f"/v1/orgs/{org['guid']}", json={"name": "Once"}, headers={"If-Match": '"1"'}
    )
    assert first.status_code == 200, first.text
    with writes_nothing(stack):
        stale = admin.patch(
            f"/v1/orgs/{org['guid']}", json={"name": "Twice"}, headers={"If-Match": '"1"'}
        )
    body = assert_problem(stale, 412)
    assert body["current_version"] == 2


def test_patch_with_the_current_version_changes_fields_and_returns_a_new_etag(admin):
    created = _create(admin)
    org = created.json()
    read = admin.get(f"/v1/orgs/{org['slug']}", params=read_after(created))
    response = admin.patch(
        f"/v1/orgs/{org['slug']}",
        json={"name": "Renamed", "description": "new", "website": "http://x.example"},
        headers={"If-Match": etag_of(read)},
    )
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    body = response.json()
    assert (body["name"], body["description"], body["website"]) == (
        "Renamed",
        "new",
        "http://x.example",
    )
    assert body["slug"] == org["slug"], "renaming keeps the slug"
    assert body["version"] == 2
    assert datetime.fromisoformat(body["updated_at"]) >= datetime.fromisoformat(org["updated_at"])
    again = admin.get(f"/v1/orgs/{org['slug']}", params=read_after(response))
    assert again.json()["name"] == "Renamed"
    assert again.headers["ETag"] == '"2"'


def test_weak_and_unquoted_etags_are_accepted_but_garbage_is_400(admin, stack):
    org = _create(admin).json()
    path = f"/v1/orgs/{org['guid']}"
    assert admin.patch(path, json={"name": "a"}, headers={"If-Match": 'W/"1"'}).status_code == 200
    assert admin.patch(path, json={"name": "b"}, headers={"If-Match": "2"}).status_code == 200
    with writes_nothing(stack):
        response = admin.patch(path, json={"name": "c"}, headers={"If-Match": "latest"})
    assert_problem(response, 400, "If-Match")


def test_changing_the_slug_moves_the_address(admin):
    org = _create(admin).json()
    new_slug = unique("moved")
    response = admin.patch(
        f"/v1/orgs/{org['slug']}", json={"slug": new_slug}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["slug"] == new_slug
    assert admin.get(f"/v1/orgs/{new_slug}", params=read_after(response)).status_code == 200
    assert_problem(admin.get(f"/v1/orgs/{org['slug']}", params=read_after(response)), 404)
    # The old slug is free again.
    reuse = admin.post("/v1/orgs", json={"name": "Reuse", "slug": org["slug"]})
    assert reuse.status_code == 201, reuse.text


def test_delete_needs_if_match_then_hides_the_org_until_undeleted(admin, stack):
    created = _create(admin)
    org = created.json()
    path = f"/v1/orgs/{org['slug']}"
    with writes_nothing(stack):
        assert_problem(admin.delete(path), 428)
        assert_problem(admin.delete(path, headers={"If-Match": '"7"'}), 412)

    deleted = admin.delete(path, headers={"If-Match": '"1"'})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["deleted_at"] is not None
    assert deleted.json()["deleted_by"] is not None
    assert deleted.headers["ETag"] == '"2"'
    rw = read_after(deleted)

    assert_problem(admin.get(path, params=rw), 404)
    shown = admin.get(path, params={**rw, "show_deleted": "true"})
    assert shown.status_code == 200 and shown.json()["deleted_at"] is not None
    listed = admin.get("/v1/orgs", params={**rw, "page_size": 200}).json()["items"]
    assert org["guid"] not in {o["guid"] for o in listed}
    listed = admin.get("/v1/orgs", params={**rw, "page_size": 200, "show_deleted": "true"})
    assert org["guid"] in {o["guid"] for o in listed.json()["items"]}
    # Deleting again: it is gone.
    assert_problem(admin.delete(path, headers={"If-Match": '"2"'}), 404)

    restored = admin.post(f"{path}:undelete")
    assert restored.status_code == 200, restored.text
    assert restored.json()["deleted_at"] is None
    assert restored.headers["ETag"] == '"3"'
    back = admin.get(path, params=read_after(restored))
    assert back.status_code == 200 and back.json()["version"] == 3


def test_undelete_honours_if_match_and_refuses_a_live_org(admin, stack):
    org = _create(admin).json()
    path = f"/v1/orgs/{org['guid']}"
    with writes_nothing(stack):
        assert_problem(admin.post(f"{path}:undelete"), 422)  # not deleted
    assert admin.delete(path, headers={"If-Match": '"1"'}).status_code == 200
    with writes_nothing(stack):
        assert_problem(admin.post(f"{path}:undelete", headers={"If-Match": '"1"'}), 412)
    assert admin.post(f"{path}:undelete", headers={"If-Match": '"2"'}).status_code == 200


def test_history_lists_every_event_with_actor_and_changed_fields(admin):
    me = admin.get("/v1/me").json()["guid"]
    org = _create(admin).json()
    path = f"/v1/orgs/{org['slug']}"
    admin.patch(path, json={"description": "x"}, headers={"If-Match": '"1"'})
    admin.delete(path, headers={"If-Match": '"2"'})
    history = admin.get(f"/v1/orgs/{org['guid']}/history", headers={"X-Request-ID": "probe"})
    assert history.status_code == 200, history.text  # readable while deleted
    admin.post(f"{path}:undelete", headers={"X-Request-ID": "restore-1"})
    body = admin.get(f"{path}/history").json()
    assert body["guid"] == org["guid"]
    items = body["items"]
    assert [i["type"] for i in items] == [
        "Organization.Created",
        "Organization.Updated",
        "Organization.Deleted",
        "Organization.Undeleted",
    ]
    assert [i["version"] for i in items] == [1, 2, 3, 4]
    assert all(i["actor"] == me for i in items)
    assert all(datetime.fromisoformat(i["timestamp"]) for i in items)
    assert items[1]["changed_fields"] == ["description"]
    assert {"name", "slug"} <= set(items[0]["changed_fields"])
    assert items[3]["correlation_id"] == "restore-1"
    timestamps = [datetime.fromisoformat(i["timestamp"]) for i in items]
    assert timestamps == sorted(timestamps)


def test_unknown_org_is_404_on_every_verb(admin, stack):
    missing = unique("nope")
    with writes_nothing(stack):
        assert_problem(admin.get(f"/v1/orgs/{missing}"), 404)
        assert_problem(admin.get("/v1/orgs/00000000-0000-0000-0000-000000000000"), 404)
        assert_problem(admin.patch(f"/v1/orgs/{missing}", json={}, headers={"If-Match": "1"}), 404)
        assert_problem(admin.delete(f"/v1/orgs/{missing}", headers={"If-Match": "1"}), 404)
        assert_problem(admin.post(f"/v1/orgs/{missing}:undelete"), 404)
        assert_problem(admin.get(f"/v1/orgs/{missing}/history"), 404)
