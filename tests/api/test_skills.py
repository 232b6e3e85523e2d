"""Skills over HTTP: a realistic bundle through upload, new version, diff, rollback and
download with every hash checked; uploads as JSON, zip and multipart; bad input."""

from __future__ import annotations

import hashlib

from support.api import (
    add_member,
    assert_problem,
    created,
    etag_of,
    new_user,
    read_after,
    unique,
    writes_nothing,
)
from support.skill_bundles import as_json_files, as_zip, realistic_files, skill_md

from domain.catalog.bundle import Bundle, unpack

ZIP = {"Content-Type": "application/zip"}


def make_org(admin) -> str:
    return created(admin.post("/v1/orgs", json={"name": unique("catalog")}))["slug"]


def create_skill(client, org: str, files=None, **fields):
    files = realistic_files() if files is None else files
    body = {"category": "documents", **fields, "files": as_json_files(files)}
    return client.post(f"/v1/orgs/{org}/skills", json=body)


def version_two_files() -> dict[str, bytes]:
    files = realistic_files()
    files["scripts/fill.sh"] = files["scripts/fill.sh"].replace(b"filled", b"completed")
    files["references/EXAMPLES.md"] = b"# Examples\n\nA W-9 with three fields.\n"
    del files["assets/template.json"]
    return files


def hash_of(files: dict[str, bytes]) -> str:
    return Bundle.from_files(files, 1 << 30).content_hash


def test_realistic_bundle_round_trip(admin):
    org = make_org(admin)
    v1_files, v2_files = realistic_files(), version_two_files()

    # Upload as JSON: version 1.
    made = create_skill(admin, org)
    skill = created(made)
    base = f"/v1/orgs/{org}/skills/pdf-forms"
    assert made.headers["Location"] == f"/v1/orgs/{skill['organization_id']}/skills/{skill['guid']}"
    assert made.headers["ETag"] == '"2"'  # Created + VersionPublished
    assert skill["current_version"] == 1 and skill["content_hash"] == hash_of(v1_files)
    assert skill["front_matter"]["name"] == "pdf-forms"
    read = admin.get(base, params=read_after(made))
    assert read.status_code == 200, read.text
    assert read.json()["instructions"].startswith("# Filling PDF forms")
    assert read.json()["content_hash"] == hash_of(v1_files)

    # A new version as a zip body, made by hand with its own order and timestamps.
    second = admin.post(f"{base}/versions", content=as_zip(v2_files, reverse=True), headers=ZIP)
    v2 = created(second)
    assert second.headers["Location"].endswith(f"/skills/{skill['guid']}/versions/2")
    assert v2["version_number"] == 2 and v2["is_current"]
    assert v2["content_hash"] == hash_of(v2_files)
    assert {f["path"] for f in v2["files"]} == set(v2_files)

    listed = admin.get(f"{base}/versions", params=read_after(second)).json()["items"]
    assert [(v["version_number"], v["is_current"]) for v in listed] == [(1, False), (2, True)]
    assert listed[0]["created_by"] == listed[1]["created_by"] is not None

    # Diff: added, removed, changed, with a unified diff of the changed script.
    diff = admin.get(f"{base}/diff", params={"from": 1, "to": 2})
    assert diff.status_code == 200, diff.text
    diff = diff.json()
    assert diff["added"] == ["references/EXAMPLES.md"]
    assert diff["removed"] == ["assets/template.json"]
    assert diff["changed"] == ["scripts/fill.sh"]
    fill = next(f for f in diff["files"] if f["path"] == "scripts/fill.sh")
    assert '-echo "filled $1 -> $3"' in fill["diff"]
    assert '+echo "completed $1 -> $3"' in fill["diff"]
    assert fill["new"]["sha256"] == hashlib.sha256(v2_files["scripts/fill.sh"]).hexdigest()

    # Roll back to version 1: a new event; version 2 stays.
    current = admin.get(base, params=read_after(second))
    rolled = admin.post(
        f"{base}:rollback", json={"version": 1}, headers={"If-Match": etag_of(current)}
    )
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["current_version"] == 1 and rolled.json()["latest_version"] == 2
    after = admin.get(base, params=read_after(rolled)).json()
    assert after["content_hash"] == hash_of(v1_files) and after["current_version"] == 1
    latest = admin.get(f"{base}/versions/latest", params=read_after(rolled)).json()
    assert latest["version_number"] == 1 and latest["is_current"]

    # Download: the stored bytes, whose hash is their ref; the files hash to the version.
    for number, files in (("1", v1_files), ("2", v2_files), ("latest", v1_files)):
        download = admin.get(f"{base}/versions/{number}/bundle")
        assert download.status_code == 200, download.text
        assert download.headers["content-type"] == "application/zip"
        version = admin.get(f"{base}/versions/{number}").json()
        assert "sha256:" + hashlib.sha256(download.content).hexdigest() == version["storage_ref"]
        assert download.headers["X-Content-Hash"] == version["content_hash"] == hash_of(files)
        assert unpack(download.content) == files
        assert admin.get(f"{base}/versions/{number}/bundle").content == download.content
    disposition = admin.get(f"{base}/versions/2/bundle").headers["content-disposition"]
    assert 'filename="pdf-forms-v2.zip"' in disposition

    history = admin.get(f"{base}/history").json()["items"]
    assert [h["type"] for h in history] == [
        "Skill.Created",
        "Skill.VersionPublished",
        "Skill.VersionPublished",
        "Skill.RolledBack",
    ]
    assert history[3]["data"] == {"to_version": 1, "from_version": 2}
    assert "files" in history[1]["data"] and "storage_ref" in history[1]["data"]


def test_identical_content_is_a_no_op_returning_the_existing_version(admin, stack):
    org = make_org(admin)
    made = create_skill(admin, org)
    base = f"/v1/orgs/{org}/skills/pdf-forms"
    with writes_nothing(stack):
        again = admin.post(f"{base}/versions", json={"files": as_json_files(realistic_files())})
        zipped = admin.post(f"{base}/versions", content=as_zip(realistic_files()), headers=ZIP)
    for response in (again, zipped):
        assert response.status_code == 200, response.text
        assert response.json()["version_number"] == 1
        assert "Location" not in response.headers
    assert again.json()["content_hash"] == made.json()["content_hash"]


def test_create_from_zip_with_query_fields_and_from_multipart(admin):
    org = make_org(admin)
    wrapped = as_zip(realistic_files(), prefix="pdf-forms/")
    by_zip = admin.post(
        f"/v1/orgs/{org}/skills",
        params={"category": "documents", "slug": "zipped", "name": "Zipped forms"},
        content=wrapped,
        headers=ZIP,
    )
    zipped = created(by_zip)
    assert (zipped["slug"], zipped["name"]) == ("zipped", "Zipped forms")
    by_form = admin.post(
        f"/v1/orgs/{org}/skills",
        data={"category": "documents", "slug": "formed"},
        files={"bundle": ("pdf-forms.zip", as_zip(realistic_files()), "application/zip")},
    )
    formed = created(by_form)
    assert formed["content_hash"] == zipped["content_hash"] == hash_of(realistic_files())
    missing = admin.post(
        f"/v1/orgs/{org}/skills", params={"slug": "x"}, content=wrapped, headers=ZIP
    )
    assert_problem(missing, 422, "category")


def test_list_by_category_and_search_by_name(admin):
    org = make_org(admin)
    names = [("Invoice parser", "finance"), ("Expense checker", "finance"), ("Poet", "fun")]
    last = None
    for name, category in names:
        files = {"SKILL.md": skill_md(name.lower().replace(" ", "-"))}
        last = create_skill(admin, org, files, name=name, category=category)
        created(last)
    base = f"/v1/orgs/{org}/skills"
    finance = admin.get(base, params={"category": "finance", **read_after(last)}).json()
    assert [s["name"] for s in finance["items"]] == ["Invoice parser", "Expense checker"]
    found = admin.get(base, params={"q": "PARS"}).json()["items"]
    assert [s["name"] for s in found] == ["Invoice parser"]
    assert admin.get(base, params={"q": "%"}).json()["items"] == []
    paged = admin.get(base, params={"page_size": 2}).json()
    rest = admin.get(base, params={"page_size": 2, "page_token": paged["next_page_token"]})
    assert len(paged["items"]) == 2 and [s["name"] for s in rest.json()["items"]] == ["Poet"]


def test_patch_delete_undelete_and_if_match(admin):
    org = make_org(admin)
    made = create_skill(admin, org)
    base = f"/v1/orgs/{org}/skills/pdf-forms"
    assert_problem(admin.patch(base, json={"category": "office"}), 428)
    assert_problem(admin.patch(base, json={"category": "x"}, headers={"If-Match": '"1"'}), 412)
    moved = admin.patch(
        base, json={"slug": "forms", "category": "office"}, headers={"If-Match": etag_of(made)}
    )
    assert moved.status_code == 200, moved.text
    new_base = f"/v1/orgs/{org}/skills/forms"
    assert admin.get(new_base, params=read_after(moved)).json()["category"] == "office"
    assert_problem(admin.get(base), 404)
    gone = admin.delete(new_base, headers={"If-Match": etag_of(moved)})
    assert gone.status_code == 200 and gone.json()["deleted_at"]
    assert_problem(admin.get(new_base, params=read_after(gone)), 404)
    assert_problem(admin.get(f"{new_base}/versions/1"), 404)
    hidden = admin.get(f"/v1/orgs/{org}/skills").json()["items"]
    assert hidden == []
    back = admin.post(f"{new_base}:undelete")
    assert back.status_code == 200 and back.json()["deleted_at"] is None
    assert admin.get(f"{new_base}/versions/1", params=read_after(back)).status_code == 200


def test_members_read_admins_write_outsiders_get_404(admin, stack):
    org = make_org(admin)
    create_skill(admin, org)
    base = f"/v1/orgs/{org}/skills/pdf-forms"
    _, member_token, _ = add_member(admin, org, "member")
    _, admin_token, granted = add_member(admin, org, "admin")
    _, outsider_token = new_user(admin, "outsider")
    v2 = {"files": as_json_files(version_two_files())}
    wait = read_after(granted)
    with stack.client(member_token) as member:
        assert member.get(base, params=wait).status_code == 200
        assert member.get(f"{base}/versions/1/bundle").status_code == 200
        assert member.get(f"{base}/diff", params={"from": 1}).status_code == 200
        assert member.get(f"{base}/history").status_code == 200
        assert_problem(member.post(f"{base}/versions", json=v2), 403)
        assert_problem(
            member.post(f"{base}:rollback", json={"version": 1}, headers={"If-Match": '"2"'}), 403
        )
        assert_problem(member.patch(base, json={"name": "x"}, headers={"If-Match": '"2"'}), 403)
    with stack.client(admin_token) as org_admin:
        assert created(org_admin.post(f"{base}/versions", json=v2))["version_number"] == 2
    with stack.client(outsider_token) as outsider:
        for path in (base, f"{base}/versions", f"{base}/versions/1/bundle", f"{base}/history"):
            assert_problem(outsider.get(path, params=wait), 404)
        assert_problem(outsider.post(f"{base}/versions", json=v2), 404)
        assert_problem(outsider.get(f"/v1/orgs/{org}/skills"), 404)


def test_zip_upload_with_idempotency_key_replays(admin, stack):
    org = make_org(admin)
    archive = as_zip(realistic_files())
    headers = {**ZIP, "Idempotency-Key": unique("key")}
    params = {"category": "documents"}
    first = admin.post(f"/v1/orgs/{org}/skills", params=params, content=archive, headers=headers)
    created(first)
    with writes_nothing(stack):
        again = admin.post(
            f"/v1/orgs/{org}/skills", params=params, content=archive, headers=headers
        )
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and again.headers["Location"] == first.headers["Location"]
    other = as_zip({**realistic_files(), "assets/x.txt": b"x"})
    reused = admin.post(f"/v1/orgs/{org}/skills", params=params, content=other, headers=headers)
    assert_problem(reused, 422)
