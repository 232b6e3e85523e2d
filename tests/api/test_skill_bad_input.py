"""Bad skill uploads over HTTP: each is a problem naming the field, and nothing is stored
(no event, the versions and history unchanged)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from zipfile import ZIP_BZIP2, ZIP_DEFLATED

import pytest
from support.api import assert_problem, created, etag_of, read_after, unique, writes_nothing
from support.skill_bundles import (
    as_json_files,
    as_zip,
    bomb,
    raw_zip,
    realistic_files,
    skill_md,
)
from support.stack import Stack, running_stack

ZIP = {"Content-Type": "application/zip"}
BUNDLE_LIMIT = 256 * 1024
BODY_LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def small(module_db_url: str) -> Iterator[Stack]:
    """Small limits, so the size rules are exercised without megabytes of traffic."""
    with running_stack(
        module_db_url, max_bundle_bytes=BUNDLE_LIMIT, max_body_bytes=BODY_LIMIT
    ) as running:
        yield running


@pytest.fixture(scope="module")
def skill(small: Stack) -> Iterator[tuple[Stack, str]]:
    with small.admin() as admin:
        org = created(admin.post("/v1/orgs", json={"name": unique("bad")}))["slug"]
        made = admin.post(
            f"/v1/orgs/{org}/skills",
            json={"category": "documents", "files": as_json_files(realistic_files())},
        )
        created(made)
        admin.get(f"/v1/orgs/{org}/skills/pdf-forms", params=read_after(made))
    yield small, f"/v1/orgs/{org}/skills/pdf-forms"


@pytest.fixture
def admin(small: Stack):
    with small.admin() as client:
        yield client


def unchanged(admin, base: str):
    """The skill's versions and history after the test equal those before."""

    class Check:
        def __enter__(self):
            self.before = (
                admin.get(f"{base}/versions").json(),
                admin.get(f"{base}/history").json(),
            )

        def __exit__(self, *exc):
            after = (admin.get(f"{base}/versions").json(), admin.get(f"{base}/history").json())
            assert after == self.before

    return Check()


def files_with(extra: dict[str, object]) -> dict:
    return {"files": {**as_json_files(realistic_files()), **extra}}


BAD_JSON = [
    (files_with({"../../etc/cron.d/evil": "x"}), "files[../../etc/cron.d/evil]"),
    (files_with({"/abs/path.md": "x"}), "files[/abs/path.md]"),
    (files_with({"scripts\\win.bat": "x"}), "files[scripts\\win.bat]"),
    (files_with({"skill.md": "shadow"}), "files[skill.md]"),
    (
        files_with({"scripts/tool": {"base64": base64.b64encode(b"\x7fELF\x00").decode()}}),
        "files[scripts/tool]",
    ),
    (
        files_with({"SKILL.md": {"base64": base64.b64encode(b"\xff\xfe\x00").decode()}}),
        "files[SKILL.md]",
    ),
    (files_with({"assets/x.bin": {"base64": "not base64!"}}), "files[assets/x.bin]"),
    ({"files": {"SKILL.md": "no front matter"}}, "files[SKILL.md]"),
    (
        {"files": {"SKILL.md": "---\nname: Upper Case\ndescription: d\n---\n"}},
        "files[SKILL.md].name",
    ),
    (
        {"files": {"SKILL.md": f"---\nname: ok\ndescription: {'d' * 1025}\n---\n"}},
        "files[SKILL.md].description",
    ),
    ({"files": {"README.md": "no skill file"}}, "files[SKILL.md]"),
    ({"files": {}}, "files"),
    ({"files": {"SKILL.md": 12}}, "files.SKILL.md.str"),
    ({"files": as_json_files(realistic_files()), "extra": 1}, "extra"),
]


@pytest.mark.parametrize(("body", "field"), BAD_JSON)
def test_bad_json_bundles(skill, admin, body, field):
    stack, base = skill
    with writes_nothing(stack), unchanged(admin, base):
        response = admin.post(f"{base}/versions", json=body)
        assert_problem(response, 422, field)


BAD_ZIPS = [
    (b"this is not a zip", "bundle"),
    (as_zip(realistic_files())[:300], "bundle"),
    (raw_zip([("SKILL.md", skill_md()), ("../escape.sh", b"x")]), "files[../escape.sh]"),
    (raw_zip([("SKILL.md", skill_md()), ("SKILL.md", skill_md("twin"))]), "files[SKILL.md]"),
    (raw_zip([("SKILL.md", b"\x00\x01binary")]), "files[SKILL.md]"),
    (
        raw_zip([("SKILL.md", skill_md()), ("references/r.md", b"\xff\xfe")]),
        "files[references/r.md]",
    ),
]


@pytest.mark.parametrize(("archive", "field"), BAD_ZIPS)
def test_bad_zip_bundles(skill, admin, archive, field):
    stack, base = skill
    with writes_nothing(stack), unchanged(admin, base):
        assert_problem(admin.post(f"{base}/versions", content=archive, headers=ZIP), 422, field)


def test_bad_bundle_on_create_stores_no_skill(skill, admin):
    stack, base = skill
    org_path = base.rsplit("/skills/", 1)[0]
    with writes_nothing(stack):
        response = admin.post(
            f"{org_path}/skills", params={"category": "x"}, content=b"junk", headers=ZIP
        )
        assert_problem(response, 422, "bundle")
    listed = admin.get(f"{org_path}/skills").json()["items"]
    assert [s["slug"] for s in listed] == ["pdf-forms"]


def test_bundle_over_the_limit_is_413_whatever_its_packaging(skill, admin):
    stack, base = skill
    big = {**realistic_files(), "assets/big.bin": bytes(BUNDLE_LIMIT)}
    archive = as_zip(big)
    assert len(archive) < BODY_LIMIT  # zeros compress: the unpacked size is what counts
    with writes_nothing(stack), unchanged(admin, base):
        assert_problem(admin.post(f"{base}/versions", content=archive, headers=ZIP), 413, "bundle")
        text = {**as_json_files(realistic_files()), "references/big.md": "x" * BUNDLE_LIMIT}
        assert_problem(admin.post(f"{base}/versions", json={"files": text}), 413, "bundle")
        # Past twice the bundle limit the body itself is refused before it is read.
        huge = {**as_json_files(realistic_files()), "references/huge.md": "x" * 3 * BUNDLE_LIMIT}
        assert_problem(admin.post(f"{base}/versions", json={"files": huge}), 413)


def test_upload_routes_take_bundle_sized_bodies_other_routes_do_not(skill, admin):
    stack, base = skill
    bigger_than_body_limit = "x" * (BODY_LIMIT + 1024)
    files = {**as_json_files(realistic_files()), "references/long.md": bigger_than_body_limit}
    published = admin.post(f"{base}/versions", json={"files": files})
    assert published.status_code == 201, published.text
    with writes_nothing(stack):
        org = admin.post("/v1/orgs", json={"name": "x", "description": bigger_than_body_limit})
        assert_problem(org, 413)


def test_unknown_versions_are_404(skill, admin):
    stack, base = skill
    for path in ("versions/99", "versions/0", "versions/abc", "versions/99/bundle"):
        assert_problem(admin.get(f"{base}/{path}"), 404)
    assert_problem(admin.get(f"{base}/diff", params={"from": 99}), 404)
    current = admin.get(base)
    with writes_nothing(stack):
        response = admin.post(
            f"{base}:rollback", json={"version": 99}, headers={"If-Match": etag_of(current)}
        )
        assert_problem(response, 404, "version")
        assert_problem(admin.post(f"{base}:rollback", json={"version": 1}), 428)
        zero = admin.post(
            f"{base}:rollback", json={"version": 0}, headers={"If-Match": etag_of(current)}
        )
        assert_problem(zero, 422, "version")
        text = admin.post(
            f"{base}:rollback", json={"version": "1"}, headers={"If-Match": etag_of(current)}
        )
        assert_problem(text, 422, "version")


def test_unsupported_media_type_is_415(skill, admin):
    stack, base = skill
    with writes_nothing(stack):
        response = admin.post(
            f"{base}/versions", content=b"<xml/>", headers={"Content-Type": "text/xml"}
        )
        assert_problem(response, 415)


def test_zip_bombs_are_refused_by_what_they_inflate_to(admin, skill):
    stack, base = skill
    bomb_name = "assets/bomb.bin"
    with writes_nothing(stack), unchanged(admin, base):
        assert_problem(
            admin.post(f"{base}/versions", content=bomb(bomb_name, ZIP_BZIP2), headers=ZIP),
            422,
            f"files[{bomb_name}]",
        )
        assert_problem(
            admin.post(f"{base}/versions", content=bomb(bomb_name, ZIP_DEFLATED), headers=ZIP),
            413,
            f"files[{bomb_name}]",
        )
