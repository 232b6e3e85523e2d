"""The catalog read model is a pure function of the log: rebuilt from it, twice, it holds
the same rows, with rollbacks, renames, deletions and versions all applied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row
from support.skill_bundles import as_json_files, realistic_files
from support.stores import event_store

from domain.catalog.service import CatalogService
from domain.identity.service import IdentityService
from domain.plumbing.store import EventStore
from domain.tenancy.service import TenancyService
from projections.catalog.projector import CatalogProjection
from projections.engine.log import EventLog
from projections.engine.operations import ensure_schema, list_dead_letters, rebuild
from workers.adapters.blobstore import FileBlobStore


@pytest.fixture
def pg_store(fresh_db_url: str) -> Iterator[EventStore]:
    app = event_store(fresh_db_url)
    yield app
    app.close()


def write_catalog(store: EventStore, blob_dir: Path) -> dict:
    identity = IdentityService(store)
    admin = identity.authenticate(identity.bootstrap_admin("Admin", None).secret).context("c")
    TenancyService(store).hierarchy.create_organization(admin, "Acme")
    catalog = CatalogService(store, FileBlobStore(blob_dir), 1 << 20)
    skills, configs = catalog.skills, catalog.configs
    first = skills.create(admin, "acme", "documents", files=as_json_files(realistic_files()))
    files = {**realistic_files(), "references/MORE.md": b"more\n"}
    second = skills.publish(admin, "acme", "pdf-forms", files=as_json_files(files))
    rolled = skills.roll_back(admin, "acme", "pdf-forms", 1, second.result.version)
    skills.update(admin, "acme", "pdf-forms", {"slug": "forms"}, rolled.version)
    catalog.categories.put(admin, "acme", "llm", {"type": "object"})
    made = configs.create(admin, "acme", "Agent", "llm", {"model": "a"})
    configs.publish(admin, "acme", "agent", {"model": "b"})
    configs.set_deleted(admin, "acme", "agent", True, None)
    catalog.tools.create(admin, None, "Search", {"type": "object"}, "python:a:b")
    return {"skill": first.result.guid, "config": made.result.guid, "v1": first.version}


def snapshot(url: str) -> dict[str, list[dict]]:
    tables = (
        "skills",
        "skill_versions",
        "configs",
        "config_versions",
        "config_categories",
        "tools",
    )
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return {
            t: conn.execute(f"SELECT * FROM rm_catalog.{t} ORDER BY created_position").fetchall()
            for t in tables
        }


def test_rebuild_from_the_log_applies_every_catalog_event(pg_store, fresh_db_url, tmp_path):
    ids = write_catalog(pg_store, tmp_path)
    projection = CatalogProjection()
    ensure_schema(fresh_db_url, [projection])
    rebuild(fresh_db_url, projection, EventLog(pg_store))
    rows = snapshot(fresh_db_url)
    assert list_dead_letters(fresh_db_url, "catalog") == []

    (skill,) = rows["skills"]
    assert skill["guid"] == ids["skill"] and skill["slug"] == "forms"
    assert (skill["current_version"], skill["latest_version"]) == (1, 2)
    assert skill["content_hash"] == ids["v1"]["content_hash"]
    assert skill["storage_ref"] == ids["v1"]["storage_ref"]
    assert [v["version_number"] for v in rows["skill_versions"]] == [1, 2]
    assert {f["path"] for f in rows["skill_versions"][1]["files"]} >= {"references/MORE.md"}

    (config,) = rows["configs"]
    assert config["content"] == {"model": "b"} and config["deleted_at"] is not None
    assert [v["content"] for v in rows["config_versions"]] == [{"model": "a"}, {"model": "b"}]
    (category,) = rows["config_categories"]
    assert category["slug"] == "llm" and category["schema"] == {"type": "object"}
    (tool,) = rows["tools"]
    assert tool["organization_id"] is None and tool["handler_ref"] == "python:a:b"

    rebuild(fresh_db_url, projection, EventLog(pg_store))
    assert snapshot(fresh_db_url) == rows


def test_many_versions_reload_through_snapshots(pg_store, tmp_path):
    """Skills and configs snapshot like the tenancy aggregates: versions survive."""
    identity = IdentityService(pg_store)
    admin = identity.authenticate(identity.bootstrap_admin("Admin", None).secret).context("c")
    TenancyService(pg_store).hierarchy.create_organization(admin, "Acme")
    catalog = CatalogService(pg_store, FileBlobStore(tmp_path), 1 << 20)
    catalog.configs.create(admin, "acme", "Agent", "llm", {"n": 0})
    for n in range(1, 60):
        catalog.configs.publish(admin, "acme", "agent", {"n": n})
    config, _ = catalog.configs.history(admin, "acme", "agent")
    assert pg_store.snapshots is not None
    assert list(pg_store.snapshots.get(config.id)), "a snapshot was taken"
    assert config.latest_version == 60 and config.content == {"n": 59}
    assert config.version_record(1)["content"] == {"n": 0}
    assert config.version_record(30)["created_at"] is not None
