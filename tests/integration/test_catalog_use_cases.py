"""Use cases of the catalog (skills, configs, categories, tools), on the in-memory store
and on Postgres, with bundles in a real filesystem blob store."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.skill_bundles import as_json_files, as_zip, realistic_files, skill_md

from domain.catalog.service import CatalogService
from domain.core.context import CommandContext
from domain.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleVersion,
    TooLarge,
    VersionRequired,
)
from domain.identity.service import IdentityService
from domain.plumbing.store import EventStore
from domain.tenancy.roles import Action
from domain.tenancy.service import TenancyService
from workers.adapters.blobstore import FileBlobStore

LIMIT = 256 * 1024


class World:
    def __init__(self, store: EventStore, blob_dir: Path) -> None:
        self.store = store
        self.blob_dir = blob_dir
        self.blobs = FileBlobStore(blob_dir)
        self.identity = IdentityService(store)
        self.tenancy = TenancyService(store)
        self.catalog = CatalogService(store, self.blobs, LIMIT)
        issued = self.identity.bootstrap_admin("Admin", None)
        assert issued is not None
        self.admin = self.identity.authenticate(issued.secret).context("corr-admin")

    def user(self, slug: str) -> CommandContext:
        self.identity.register_user(self.admin, name=slug.title(), slug=slug)
        issued = self.identity.issue_token(self.admin, slug, "t", None)
        return self.identity.authenticate(issued.secret).context(f"corr-{slug}")

    def member(self, org: str, slug: str, role: str) -> CommandContext:
        ctx = self.user(slug)
        self.tenancy.memberships.put_org_member(self.admin, org, slug, role)
        return ctx

    def blob_files(self) -> list[Path]:
        return sorted(p for p in self.blob_dir.rglob("*") if p.is_file())


@pytest.fixture
def world(store: EventStore, tmp_path: Path) -> World:
    return World(store, tmp_path / "blobs")


@pytest.fixture
def alice(world: World) -> CommandContext:
    ctx = world.user("alice")
    world.tenancy.hierarchy.create_organization(ctx, "Acme")
    return ctx


def create_skill(world: World, ctx, files=None, **fields):
    files = realistic_files() if files is None else files
    return world.catalog.skills.create(
        ctx, "acme", fields.pop("category", "documents"), files=as_json_files(files), **fields
    )


# -- skills -------------------------------------------------------------------------------
def test_create_publishes_version_one_with_the_bundle_in_blob_storage(world: World, alice):
    published = create_skill(world, alice)
    skill = published.result.entity
    assert published.created and published.version["version_number"] == 1
    assert (skill.name, skill.slug, skill.category) == ("pdf-forms", "pdf-forms", "documents")
    assert skill.description.startswith("Fill in PDF forms")  # from the front matter
    assert skill.current_version == 1 and skill.content_hash.startswith("sha256:")
    assert world.blobs.exists(skill.storage_ref)
    assert [type(e).__name__ for e in world.store.history(skill.id)] == [
        "Created",
        "VersionPublished",
    ]
    assert world.catalog.skills.find(alice, Action.READ, "acme", "pdf-forms").id == skill.id


def test_events_carry_hash_ref_and_manifest_never_the_bundle_bytes(world: World, alice):
    skill = create_skill(world, alice).result.entity
    stored = world.store.recorder.select_events(skill.id)
    assert stored, "events were recorded"
    for record in stored:
        assert b"Filling PDF forms" not in record.state  # instructions text
        assert b"extract_fields.py\n" not in record.state
        assert b"fields of" not in record.state  # script body
    published = world.store.history(skill.id)[1]
    assert {f["path"] for f in published.files} == set(realistic_files())


def test_identical_content_is_a_no_op_returning_the_existing_version(world: World, alice):
    skill = create_skill(world, alice).result.entity
    again = world.catalog.skills.publish(
        alice, "acme", "pdf-forms", archive=as_zip(realistic_files(), reverse=True)
    )
    assert not again.created and again.result.position == 0
    assert again.version["version_number"] == 1
    assert len(world.store.history(skill.id)) == 2


def test_publish_new_version_then_roll_back_as_a_new_event(world: World, alice):
    skill = create_skill(world, alice).result.entity
    files = {**realistic_files(), "references/EXTRA.md": b"# More\n"}
    second = world.catalog.skills.publish(alice, "acme", "pdf-forms", files=as_json_files(files))
    assert second.created and second.version["version_number"] == 2
    assert second.version["storage_ref"] != skill.storage_ref
    rolled = world.catalog.skills.roll_back(alice, "acme", "pdf-forms", 1, second.result.version)
    current = world.catalog.skills.find(alice, Action.READ, "acme", "pdf-forms")
    assert rolled.version == current.version and current.current_version == 1
    assert current.latest_version == 2
    assert current.content_hash == skill.version_record(1)["content_hash"]
    kinds = [type(e).__name__ for e in world.store.history(skill.id)]
    assert kinds == ["Created", "VersionPublished", "VersionPublished", "RolledBack"]
    with pytest.raises(StaleVersion):
        world.catalog.skills.roll_back(alice, "acme", "pdf-forms", 2, second.result.version)
    with pytest.raises(NotFound) as caught:
        world.catalog.skills.roll_back(alice, "acme", "pdf-forms", 9, current.version)
    assert caught.value.field == "version"


def test_skill_slugs_are_unique_per_organization(world: World, alice):
    create_skill(world, alice)
    with pytest.raises(Conflict) as caught:
        create_skill(world, alice)
    assert caught.value.field == "slug"
    world.tenancy.hierarchy.create_organization(alice, "Other")
    world.catalog.skills.create(alice, "other", "documents", files=as_json_files(realistic_files()))


def test_rename_moves_the_slug_and_delete_hides(world: World, alice):
    skill = create_skill(world, alice).result.entity
    moved = world.catalog.skills.update(
        alice, "acme", "pdf-forms", {"slug": "forms", "category": "office"}, skill.version
    )
    with pytest.raises(NotFound):
        world.catalog.skills.find(alice, Action.READ, "acme", "pdf-forms")
    assert world.catalog.skills.find(alice, Action.READ, "acme", "forms").category == "office"
    world.catalog.skills.set_deleted(alice, "acme", "forms", True, moved.version)
    with pytest.raises(NotFound):
        world.catalog.skills.publish(alice, "acme", "forms", files={"SKILL.md": "x"})
    world.catalog.skills.set_deleted(alice, "acme", "forms", False, None)
    assert world.catalog.skills.find(alice, Action.READ, "acme", str(skill.id)).slug == "forms"


def test_members_read_admins_write_outsiders_see_nothing(world: World, alice):
    create_skill(world, alice)
    bob = world.member("acme", "bob", "member")
    carol = world.member("acme", "carol", "admin")
    mallory = world.user("mallory")
    world.catalog.skills.history(bob, "acme", "pdf-forms")
    with pytest.raises(PermissionDenied):
        world.catalog.skills.publish(bob, "acme", "pdf-forms", files={"SKILL.md": "x"})
    with pytest.raises(NotFound):
        world.catalog.skills.history(mallory, "acme", "pdf-forms")
    files = {**realistic_files(), "assets/new.txt": b"new\n"}
    assert world.catalog.skills.publish(carol, "acme", "pdf-forms", files=as_json_files(files))


@pytest.mark.parametrize(
    ("upload", "error", "field"),
    [
        ({"archive": b"garbage"}, InvalidInput, "bundle"),
        ({"files": {"SKILL.md": skill_md().decode(), "../x": "y"}}, InvalidInput, "files[../x]"),
        ({"files": {"SKILL.md": {"base64": "AAEC/w=="}}}, InvalidInput, "files[SKILL.md]"),
        ({"files": {"SKILL.md": "---\nname: Bad Name\n---\n"}}, InvalidInput, None),
        ({"files": {"SKILL.md": skill_md().decode(), "a": "x" * LIMIT}}, TooLarge, "bundle"),
    ],
)
def test_bad_bundles_store_nothing(world: World, alice, upload, error, field):
    skill = create_skill(world, alice).result.entity
    blobs_before = world.blob_files()
    with pytest.raises(error) as caught:
        world.catalog.skills.publish(alice, "acme", "pdf-forms", **upload)
    if field:
        assert caught.value.field == field
    assert len(world.store.history(skill.id)) == 2
    assert world.blob_files() == blobs_before
    with pytest.raises(error):
        world.catalog.skills.create(alice, "acme", "documents", slug="fresh", **upload)
    assert world.store.slugs.owner("skill", skill.organization_id, "fresh") is None


def test_blob_is_written_before_the_event(world: World, alice):
    class BrokenBlobs:
        def put(self, data: bytes) -> str:
            raise OSError("disk full")

    world.catalog.skills.blobs = BrokenBlobs()
    with pytest.raises(OSError):
        create_skill(world, alice)
    org = world.tenancy.resolve.chain("acme").org
    assert world.store.slugs.owner("skill", org.id, "pdf-forms") is None


# -- configs and categories -------------------------------------------------------------
SCHEMA = {
    "type": "object",
    "properties": {"model": {"type": "string"}, "temperature": {"type": "number", "maximum": 2}},
    "required": ["model"],
}


def test_config_versions_no_op_and_rollback(world: World, alice):
    created = world.catalog.configs.create(alice, "acme", "Agent", "llm", {"model": "small"})
    config = created.result.entity
    assert config.current_version == 1 and config.content == {"model": "small"}
    same = world.catalog.configs.publish(alice, "acme", "agent", {"model": "small"})
    assert not same.created and same.version["version_number"] == 1
    second = world.catalog.configs.publish(alice, "acme", "agent", {"model": "large"})
    assert second.version["version_number"] == 2
    world.catalog.configs.roll_back(alice, "acme", "agent", 1, second.result.version)
    config = world.catalog.configs.history(alice, "acme", "agent")[0]
    assert config.content == {"model": "small"} and config.latest_version == 2


def test_category_schema_is_enforced_and_replaced_with_if_match(world: World, alice):
    result, created = world.catalog.categories.put(alice, "acme", "llm", SCHEMA)
    assert created
    with pytest.raises(InvalidInput) as caught:
        world.catalog.configs.create(alice, "acme", "Agent", "llm", {"temperature": 9})
    assert {e["field"] for e in caught.value.errors} == {"content", "content/temperature"}
    org = world.tenancy.resolve.chain("acme").org
    assert world.store.slugs.owner("config", org.id, "agent") is None
    world.catalog.configs.create(alice, "acme", "Agent", "llm", {"model": "m"})
    with pytest.raises(InvalidInput):
        world.catalog.configs.publish(alice, "acme", "agent", {"model": 3})
    # Moving a config into a category its content does not fit is refused too.
    world.catalog.configs.create(alice, "acme", "Loose", "misc", {"anything": True})
    with pytest.raises(InvalidInput):
        world.catalog.configs.update(alice, "acme", "loose", {"category": "llm"}, 2)
    with pytest.raises(VersionRequired):
        world.catalog.categories.put(alice, "acme", "llm", {"type": "object"})
    world.catalog.categories.put(alice, "acme", "llm", {"type": "object"}, None, result.version)
    world.catalog.configs.publish(alice, "acme", "agent", {"model": 3})


def test_invalid_category_schema_is_refused(world: World, alice):
    with pytest.raises(InvalidInput) as caught:
        world.catalog.categories.put(alice, "acme", "llm", {"type": "objekt"})
    assert caught.value.field == "schema/type"
    with pytest.raises(InvalidInput) as caught:
        world.catalog.categories.put(alice, "acme", "Not A Slug", {"type": "object"})
    assert caught.value.field == "category"


def test_deleted_category_no_longer_checks(world: World, alice):
    result, _ = world.catalog.categories.put(alice, "acme", "llm", SCHEMA)
    world.catalog.categories.delete(alice, "acme", "llm", result.version)
    world.catalog.configs.create(alice, "acme", "Agent", "llm", {"free": "form"})


# -- tools --------------------------------------------------------------------------------
TOOL_SCHEMA = {
    "type": "object",
    "properties": {"query": {"type": "string", "minLength": 1}, "limit": {"type": "integer"}},
    "required": ["query"],
}


def test_platform_tools_are_managed_by_platform_admins_and_read_by_all(world: World, alice):
    tool = world.catalog.tools.create(
        world.admin, None, "Web search", TOOL_SCHEMA, "python:tools.search:run", "http"
    ).entity
    assert tool.organization_id is None and tool.slug == "web-search"
    with pytest.raises(PermissionDenied):
        world.catalog.tools.create(alice, None, "Mine", TOOL_SCHEMA, "python:x:y")
    assert world.catalog.tools.validate_input(alice, None, "web-search", {"query": "q"}) == []
    errors = world.catalog.tools.validate_input(alice, None, "web-search", {"limit": "ten"})
    assert [e["path"] for e in errors] == ["", "/limit"]


def test_org_tools_admins_write_members_read(world: World, alice):
    world.catalog.tools.create(alice, "acme", "Web search", TOOL_SCHEMA, "python:a:b")
    bob = world.member("acme", "bob", "member")
    mallory = world.user("mallory")
    assert world.catalog.tools.validate_input(bob, "acme", "web-search", {"query": "x"}) == []
    with pytest.raises(PermissionDenied):
        world.catalog.tools.update(bob, "acme", "web-search", {"name": "X"}, 1)
    with pytest.raises(NotFound):
        world.catalog.tools.validate_input(mallory, "acme", "web-search", {})
    # An org tool is not a platform tool, and the other way round.
    with pytest.raises(NotFound):
        world.catalog.tools.validate_input(alice, None, "web-search", {})


def test_tool_input_schema_must_be_a_valid_json_schema(world: World, alice):
    with pytest.raises(InvalidInput) as caught:
        world.catalog.tools.create(alice, "acme", "Bad", {"type": 12}, "python:a:b")
    assert caught.value.field == "input_schema/type"
    tool = world.catalog.tools.create(alice, "acme", "Good", TOOL_SCHEMA, "python:a:b").entity
    with pytest.raises(InvalidInput):
        world.catalog.tools.update(alice, "acme", "good", {"input_schema": {"minimum": "x"}}, 1)
    with pytest.raises(InvalidInput) as caught:
        world.catalog.tools.update(alice, "acme", "good", {"handler_ref": "has space"}, 1)
    assert caught.value.field == "handler_ref"
    assert len(world.store.history(tool.id)) == 1
