"""Aggregates in memory: rules, events and the BaseCoreModel fields they maintain."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.core.errors import Conflict, InvalidInput, NotFound, StaleVersion
from domain.core.slugs import SlugClaim, slugify, validate_slug
from domain.identity.token import ApiToken, new_token_secret, token_id_for
from domain.tenancy.hierarchy import Project, validate_settings
from domain.tenancy.organization import Organization
from domain.tenancy.roles import OrgRole

META = {"actor": "u-1", "correlation_id": "c-1", "causation_id": None, "tenant_id": None}


def make_org(**overrides):
    fields = dict(id=uuid4(), name="Acme", slug="acme", description="", website=None, meta=META)
    return Organization(**(fields | overrides))


def test_created_entity_has_base_core_model_fields():
    org = make_org()
    assert org.guid == org.id
    assert (org.name, org.slug, org.version) == ("Acme", "acme", 1)
    assert org.created_by == "u-1" and org.updated_by == "u-1"
    assert org.deleted_at is None and org.created_on == org.modified_on


def test_update_records_only_changed_fields_and_the_actor():
    org = make_org()
    changes = org.changes_from({"name": "Acme", "website": "https://acme.test"})
    assert changes == {"website": "https://acme.test"}
    org.update(changes=changes, meta={**META, "actor": "u-2"})
    assert org.website == "https://acme.test"
    assert org.version == 2 and org.updated_by == "u-2" and org.created_by == "u-1"
    event = org.pending_events[-1]
    assert event.changes == {"website": "https://acme.test"} and event.meta["actor"] == "u-2"


def test_unknown_field_cannot_be_changed():
    with pytest.raises(InvalidInput) as caught:
        make_org().changes_from({"groups": {}})
    assert caught.value.field == "groups"


def test_soft_delete_and_restore_are_events():
    org = make_org()
    org.soft_delete(meta={**META, "actor": "u-3"})
    assert org.is_deleted and org.deleted_by == "u-3" and org.version == 2
    with pytest.raises(InvalidInput):
        org.soft_delete(meta=META)
    org.restore(meta=META)
    assert not org.is_deleted and org.deleted_by is None and org.version == 3


def test_stale_version_reports_current():
    org = make_org()
    with pytest.raises(StaleVersion) as caught:
        org.check_version(7)
    assert caught.value.current_version == 1
    org.check_version(1)
    org.check_version(None)


def test_groups_hold_roles_and_members():
    org, user = make_org(), uuid4()
    group_id = uuid4()
    org.define_group(group_id, "Ops", "ops", OrgRole.ADMIN, meta=META)
    with pytest.raises(Conflict):
        org.define_group(uuid4(), "Ops 2", "ops", OrgRole.VIEWER, meta=META)
    assert org.add_group_member(str(group_id), user, meta=META) is True
    assert org.add_group_member(str(group_id), user, meta=META) is False
    assert org.group_roles_of(user) == [OrgRole.ADMIN]
    assert org.group("ops")[0] == str(group_id)
    org.remove_group_member(str(group_id), user, meta=META)
    assert org.group_roles_of(user) == []
    with pytest.raises(NotFound):
        org.group("nope")


def test_slugify_and_validation():
    assert slugify("  Hello, Wörld! 2 ") == "hello-world-2"
    assert slugify("!!!") == "item"
    assert len(slugify("x" * 300)) == 63
    assert validate_slug("ok-1") == "ok-1"
    for bad in ("-x", "x-", "Upper", "a_b", "", "x" * 64):
        with pytest.raises(InvalidInput):
            validate_slug(bad)


def test_slug_claim_id_is_derived_from_kind_scope_and_slug():
    a = SlugClaim.create_id("team", "org-1", "platform")
    assert a == SlugClaim.create_id("team", "org-1", "platform")
    assert a != SlugClaim.create_id("team", "org-2", "platform")
    claim = SlugClaim(kind="team", scope_id="org-1", slug="platform", owner_id=uuid4(), meta=META)
    assert claim.id == a
    claim.release(meta=META)
    assert claim.owner_id is None


def test_token_id_comes_from_the_secret_which_never_enters_an_event():
    secret = new_token_secret()
    token = ApiToken(
        id=token_id_for(secret), user_id=uuid4(), name="ci", expires_at=None, meta=META
    )
    assert token.id == token_id_for(secret) and token.is_valid()
    assert secret not in repr(token.pending_events)
    token.revoke(meta=META)
    assert not token.is_valid()
    with pytest.raises(InvalidInput):
        token.revoke(meta=META)


def test_project_settings_must_be_an_object_of_bounded_size():
    assert validate_settings({"a": 1}) == {"a": 1}
    for bad in ([], "x", {"k": "v" * 70_000}):
        with pytest.raises(InvalidInput) as caught:
            validate_settings(bad)
        assert caught.value.field == "settings"
    project = Project(
        organization_id=uuid4(),
        team_id=uuid4(),
        workspace_id=uuid4(),
        name="P",
        slug="p",
        description="",
        settings={},
        meta=META,
    )
    assert project.settings == {}
