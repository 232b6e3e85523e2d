"""Catalog aggregates in memory: immutable numbered versions, rollback as a new event."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.catalog.config import Config, content_hash_of, validate_content
from domain.catalog.config_category import ConfigCategory
from domain.catalog.skill import Skill
from domain.core.errors import InvalidInput, NotFound

META = {"actor": "u-1", "correlation_id": "c-1", "causation_id": None, "tenant_id": None}


def make_skill() -> Skill:
    return Skill(
        organization_id=uuid4(),
        name="PDF forms",
        slug="pdf-forms",
        description="",
        category="documents",
        meta=META,
    )


def publish(skill: Skill, n: int) -> dict:
    return skill.publish(
        content_hash=f"sha256:{n:064x}",
        storage_ref=f"sha256:{n + 100:064x}",
        files=[{"path": "SKILL.md", "size": n, "sha256": "00", "is_text": True}],
        front_matter={"name": "pdf-forms", "description": "d"},
        meta={**META, "actor": f"u-{n}"},
    )


def test_versions_are_numbered_and_the_latest_is_current():
    skill = make_skill()
    first, second = publish(skill, 1), publish(skill, 2)
    assert (first["version_number"], second["version_number"]) == (1, 2)
    assert skill.current_version == 2 == skill.latest_version
    assert skill.content_hash == second["content_hash"]
    assert skill.storage_ref == second["storage_ref"]
    assert second["created_by"] == "u-2" and second["created_at"] is not None
    assert skill.version_with_hash(first["content_hash"]) is first


def test_rollback_is_a_new_event_and_keeps_every_version():
    skill = make_skill()
    publish(skill, 1)
    publish(skill, 2)
    before = skill.version
    skill.roll_back(1, meta=META)
    assert skill.version == before + 1
    assert skill.current_version == 1 and skill.latest_version == 2
    assert skill.content_hash == skill.version_record(1)["content_hash"]
    event = skill.pending_events[-1]
    assert type(event).__name__ == "RolledBack"
    assert (event.to_version, event.from_version) == (1, 2)
    # Publishing after a rollback appends: version numbers are never reused.
    assert publish(skill, 3)["version_number"] == 3


def test_rollback_rules():
    skill = make_skill()
    publish(skill, 1)
    with pytest.raises(NotFound) as caught:
        skill.roll_back(7, meta=META)
    assert caught.value.field == "version"
    with pytest.raises(InvalidInput, match="already current"):
        skill.roll_back(1, meta=META)


def test_skill_events_carry_refs_never_bytes():
    skill = make_skill()
    publish(skill, 1)
    event = skill.pending_events[-1]
    assert set(vars(event)) - {"originator_id", "originator_version", "timestamp", "meta"} == {
        "version_number",
        "content_hash",
        "storage_ref",
        "files",
        "front_matter",
        "published_at",
    }


def test_config_content_hash_is_canonical():
    a = {"b": 1, "a": [1, 2], "c": {"y": "é", "x": None}}
    b = {"c": {"x": None, "y": "é"}, "a": [1, 2], "b": 1}
    assert content_hash_of(a) == content_hash_of(b)
    assert content_hash_of(a) != content_hash_of({**a, "b": 2})
    config = Config(
        organization_id=uuid4(),
        name="Agent",
        slug="agent",
        description="",
        category="llm",
        meta=META,
    )
    assert config.publish(a, META)["content_hash"] == content_hash_of(b)
    assert config.content == a


@pytest.mark.parametrize("content", [[1, 2], "text", {"n": float("nan")}, {"n": object()}])
def test_config_content_must_be_a_plain_json_object(content):
    with pytest.raises(InvalidInput) as caught:
        validate_content(content)
    assert caught.value.field == "content"


def test_config_category_id_derives_from_org_and_category():
    org = uuid4()
    assert ConfigCategory.create_id(org, "llm") == ConfigCategory.create_id(org, "llm")
    assert ConfigCategory.create_id(org, "llm") != ConfigCategory.create_id(uuid4(), "llm")
