"""A log with every kind of event the read models handle, written through the use cases.

Entities change right after their creation (the same projection batch, for most batch
sizes) and again much later (a later batch), so a read model that folds a batch's writes
is exercised on rows created in the batch and on rows that already exist.
"""

from __future__ import annotations

from pathlib import Path

from domain.catalog.service import CatalogService
from domain.identity.service import IdentityService
from domain.identity.user import User
from domain.plumbing.store import EventStore
from domain.tenancy.entities import delete_entity, undelete_entity, update_entity
from domain.tenancy.service import TenancyService
from support.skill_bundles import as_json_files, realistic_files
from workers.adapters.blobstore import FileBlobStore


def write_mixed_log(store: EventStore, blob_dir: Path) -> int:
    """Returns the position of the last event."""
    identity = IdentityService(store)
    admin = identity.authenticate(identity.bootstrap_admin("Admin", None).secret).context("m")
    tenancy = TenancyService(store)
    catalog = CatalogService(store, FileBlobStore(blob_dir), 1 << 20)
    skills, configs = catalog.skills, catalog.configs

    for slug in ("ann", "bob", "cy"):
        identity.register_user(admin, slug.title(), slug, email=f"{slug}@example.com")
    bob_token = identity.issue_token(admin, "bob", "ci", None)
    identity.issue_token(admin, "cy", "laptop", None)
    identity.revoke_token(admin, "bob", bob_token.result.guid)
    update_entity(store, admin, identity.find_user("cy"), {"is_active": False}, None)

    tenancy.hierarchy.create_organization(admin, "Acme", website="https://acme.example")
    tenancy.hierarchy.update(admin, ("acme",), {"description": "Anvils", "name": "Acme Inc"}, None)
    tenancy.hierarchy.create_team(admin, "acme", "Core")
    tenancy.hierarchy.create_workspace(admin, "acme", "core", "Main")
    tenancy.hierarchy.create_project(admin, "acme", "core", "main", "Roadrunner", settings={"a": 1})
    tenancy.hierarchy.update(
        admin, ("acme", "core", "main", "roadrunner"), {"settings": {"a": 2}}, None
    )
    tenancy.hierarchy.create_project(admin, "acme", "core", "main", "Coyote")
    tenancy.memberships.put_org_member(admin, "acme", "ann", "member")
    tenancy.memberships.put_team_member(admin, "acme", "core", "ann", "member")
    tenancy.memberships.put_org_member(admin, "acme", "bob", "member")
    tenancy.memberships.put_scope_member(admin, ("acme", "core", "main"), "bob", "operator")
    tenancy.memberships.put_scope_member(admin, ("acme", "core", "main", "coyote"), "ann", "viewer")
    tenancy.groups.define_group(admin, "acme", "Ops", "admin")
    tenancy.groups.add_group_member(admin, "acme", "ops", "ann")
    tenancy.groups.add_group_member(admin, "acme", "ops", "bob")
    tenancy.groups.define_group(admin, "acme", "Readers", "member")
    tenancy.groups.change_group(admin, "acme", "readers", {"name": "Viewers", "slug": "viewers"})
    tenancy.hierarchy.create_organization(admin, "Globex")
    tenancy.hierarchy.create_team(admin, "globex", "Research")

    skills.create(admin, "acme", "documents", files=as_json_files(realistic_files()))
    more = {**realistic_files(), "references/MORE.md": b"more\n"}
    second = skills.publish(admin, "acme", "pdf-forms", files=as_json_files(more))
    skills.roll_back(admin, "acme", "pdf-forms", 1, second.result.version)
    catalog.categories.put(admin, "acme", "llm", {"type": "object"})
    configs.create(admin, "acme", "Agent", "llm", {"model": "a"})
    configs.publish(admin, "acme", "agent", {"model": "b"})
    configs.publish(admin, "acme", "agent", {"model": "c"})
    catalog.tools.create(admin, None, "Search", {"type": "object"}, "python:a:b")
    catalog.tools.create(admin, "acme", "Fetch", {"type": "object"}, "python:c:d")

    # Much later: changes to everything above, in batches after their creates.
    update_entity(store, admin, identity.find_user("ann"), {"email": "ann@acme.example"}, None)
    update_entity(store, admin, identity.find_user("cy"), {"is_active": True}, None)
    tenancy.hierarchy.update(
        admin, ("acme",), {"website": "https://acme.test", "slug": "acme-inc"}, None
    )
    tenancy.hierarchy.update(admin, ("acme-inc", "core"), {"name": "Core Team"}, None)
    tenancy.hierarchy.update(
        admin, ("acme-inc", "core", "main"), {"description": "The main one"}, None
    )
    tenancy.hierarchy.delete(admin, ("acme-inc", "core", "main", "coyote"), None)
    tenancy.hierarchy.undelete(admin, ("acme-inc", "core", "main", "coyote"), None)
    tenancy.hierarchy.delete(admin, ("acme-inc", "core", "main", "roadrunner"), None)
    tenancy.memberships.put_org_member(admin, "acme-inc", "bob", "admin", 1)
    tenancy.memberships.remove_team_member(admin, "acme-inc", "core", "ann", None)
    tenancy.memberships.put_team_member(admin, "acme-inc", "core", "ann", "maintainer")
    tenancy.memberships.put_scope_member(
        admin, ("acme-inc", "core", "main"), "bob", "maintainer", 1
    )
    tenancy.memberships.remove_scope_member(
        admin, ("acme-inc", "core", "main", "coyote"), "ann", None
    )
    tenancy.groups.remove_group_member(admin, "acme-inc", "ops", "bob")
    tenancy.groups.change_group(admin, "acme-inc", "ops", {"role": "member"})
    tenancy.groups.remove_group(admin, "acme-inc", "viewers")
    tenancy.hierarchy.delete(admin, ("globex",), None)

    skills.update(admin, "acme-inc", "pdf-forms", {"slug": "forms"}, None)
    third = skills.publish(admin, "acme-inc", "forms", files=as_json_files(realistic_files()))
    skills.set_deleted(admin, "acme-inc", "forms", True, third.result.version)
    skills.set_deleted(admin, "acme-inc", "forms", False, None)
    configs.roll_back(admin, "acme-inc", "agent", 1, None)
    configs.update(admin, "acme-inc", "agent", {"description": "Rolled back"}, None)
    configs.set_deleted(admin, "acme-inc", "agent", True, None)
    catalog.categories.put(admin, "acme-inc", "llm", {"type": "object", "title": "LLM"}, None, 1)
    catalog.categories.delete(admin, "acme-inc", "llm", None)
    catalog.tools.update(admin, None, "search", {"description": "Finds things"}, None)
    catalog.tools.set_deleted(admin, "acme-inc", "fetch", True, None)
    bob = identity.find_user("bob")
    delete_entity(store, admin, bob, None)
    undelete_entity(store, admin, store.find(bob.id, User), None)
    delete_entity(store, admin, identity.find_user("ann"), None)
    return store.recorder.max_notification_id()
