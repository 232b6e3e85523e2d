"""The workflow templates read model is a pure function of the log: rebuilt from it, twice,
it holds the same rows, with drafts, versions, a rollback, a rename and a deletion applied."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg.rows import dict_row
from support.stores import event_store

from domain.identity.service import IdentityService
from domain.plumbing.store import EventStore
from domain.tenancy.service import TenancyService
from domain.workflows.template_service import WorkflowTemplateService
from projections.engine.log import EventLog
from projections.engine.operations import ensure_schema, list_dead_letters, rebuild
from projections.workflows.template_projector import WorkflowTemplatesProjection

STAGE = {"name": "ok", "order": 1, "stage_type": "approval", "approval": {"roles": ["admin"]}}


@pytest.fixture
def pg_store(fresh_db_url: str) -> Iterator[EventStore]:
    app = event_store(fresh_db_url)
    yield app
    app.close()


def admin_in_acme(store: EventStore):
    identity = IdentityService(store)
    admin = identity.authenticate(identity.bootstrap_admin("Admin", None).secret).context("c")
    TenancyService(store).hierarchy.create_organization(admin, "Acme")
    return admin


def snapshot(url: str) -> dict[str, list[dict]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return {
            t: conn.execute(
                f"SELECT * FROM rm_workflow_templates.{t} ORDER BY created_position"
            ).fetchall()
            for t in ("workflow_templates", "workflow_template_versions")
        }


def test_rebuild_from_the_log_applies_every_template_event(pg_store, fresh_db_url):
    admin = admin_in_acme(pg_store)
    templates = WorkflowTemplateService(pg_store)
    made = templates.create(admin, "acme", "Ship", draft={"stages": [STAGE]})
    first = templates.publish(admin, "acme", "ship")
    draft = {"default_config": {"model": "b"}}
    changed = templates.patch_draft(admin, "acme", "ship", draft, first.result.version)
    second = templates.publish(admin, "acme", "ship")
    rolled = templates.roll_back(admin, "acme", "ship", 1, second.result.version)
    templates.update(admin, "acme", "ship", {"slug": "shipping"}, rolled.version)
    templates.create(admin, "acme", "Never published")
    gone = templates.create(admin, "acme", "Gone")
    templates.set_deleted(admin, "acme", "gone", True, gone.version)

    projection = WorkflowTemplatesProjection()
    ensure_schema(fresh_db_url, [projection])
    rebuild(fresh_db_url, projection, EventLog(pg_store))
    rows = snapshot(fresh_db_url)
    assert list_dead_letters(fresh_db_url, "workflow_templates") == []

    ship, unpublished, deleted = rows["workflow_templates"]
    assert ship["guid"] == made.guid and ship["slug"] == "shipping"
    assert (ship["current_version"], ship["latest_version"]) == (1, 2)
    assert ship["content"] == first.version["content"]
    assert ship["content_hash"] == first.version["content_hash"]
    assert (
        ship["draft"] == changed.entity.draft
        and ship["draft"]["default_config"] == draft["default_config"]
    )
    assert ship["version"] == rolled.version + 1
    assert unpublished["content"] is None and unpublished["draft"] is None
    assert unpublished["current_version"] == 0
    assert deleted["deleted_at"] is not None
    versions = rows["workflow_template_versions"]
    assert [(v["template_id"], v["version_number"]) for v in versions] == [
        (made.guid, 1),
        (made.guid, 2),
    ]
    assert versions[1]["content"]["default_config"] == {"model": "b"}

    rebuild(fresh_db_url, projection, EventLog(pg_store))
    assert snapshot(fresh_db_url) == rows


def test_a_long_lived_template_reloads_through_snapshots(pg_store):
    admin = admin_in_acme(pg_store)
    templates = WorkflowTemplateService(pg_store)
    templates.create(admin, "acme", "Busy", draft={"stages": [STAGE]})
    for n in range(60):
        templates.patch_draft(admin, "acme", "busy", {"default_config": {"n": n}}, None)
        if n % 20 == 0:
            templates.publish(admin, "acme", "busy")
    template, _ = templates.history(admin, "acme", "busy")
    assert pg_store.snapshots is not None
    assert list(pg_store.snapshots.get(template.id)), "a snapshot was taken"
    assert template.draft["default_config"] == {"n": 59}
    assert template.latest_version == 3
    assert template.pinned(2)[1]["default_config"] == {"n": 20}
