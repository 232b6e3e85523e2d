"""Turns path segments (guid or slug) into aggregates, parent by parent.

Slugs resolve through their SlugClaim, so resolution reads the event store only and
sees every committed write at once. A deleted ancestor hides everything below it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from domain.core.aggregate import CoreAggregate
from domain.core.errors import NotFound
from domain.core.slugs import SlugClaim, looks_like_uuid
from domain.identity.user import User
from domain.plumbing.store import EventStore
from domain.tenancy.hierarchy import Project, Team, Workspace
from domain.tenancy.organization import Organization

C = TypeVar("C", bound=CoreAggregate)

SLUG_KINDS: dict[type[CoreAggregate], str] = {
    Organization: "org",
    Team: "team",
    Workspace: "workspace",
    Project: "project",
    User: "user",
}


_CHAIN_KINDS = ("org", "team", "workspace", "project")


def slug_scope(entity: CoreAggregate) -> str:
    if isinstance(entity, Team):
        return str(entity.organization_id)
    if isinstance(entity, Workspace):
        return str(entity.team_id)
    if isinstance(entity, Project):
        return str(entity.workspace_id)
    return ""


@dataclass
class Chain:
    org: Organization
    org_ref: str = ""
    team: Team | None = None
    workspace: Workspace | None = None
    project: Project | None = None

    @property
    def leaf(self) -> CoreAggregate:
        return self.project or self.workspace or self.team or self.org


class Resolver:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def _by_ref(
        self,
        kind: type[C],
        ref: str,
        scope: str,
        parent_field: str | None,
        parent_id: UUID | None,
        include_deleted: bool,
    ) -> C:
        what = kind.__name__.lower()
        guid = looks_like_uuid(ref)
        if guid is None:
            guid = self.store.slugs.owner(SLUG_KINDS[kind], scope, ref)
        entity = self.store.find(guid, kind) if guid else None
        if entity is None:
            raise NotFound(f"{what} {ref!r} not found")
        if parent_field and getattr(entity, parent_field) != parent_id:
            raise NotFound(f"{what} {ref!r} not found")
        if entity.is_deleted and not include_deleted:
            raise NotFound(f"{what} {ref!r} not found")
        return entity

    def guess(self, *refs: str | None) -> tuple[list[UUID], list[UUID]]:
        """Ids the chain will read, from the cache alone (no query): (entity ids, all ids).

        A guess may be stale; resolution still reads every claim and entity fresh, so a
        wrong guess costs a query, never a wrong answer.
        """
        scope, entities, wanted = "", [], []
        for kind, ref in zip(_CHAIN_KINDS, refs, strict=False):
            if ref is None:
                break
            guid = looks_like_uuid(ref)
            if guid is None:
                claim_id = SlugClaim.create_id(kind, scope, ref)
                wanted.append(claim_id)
                claim = self.store.cache.peek(claim_id)
                guid = claim.owner_id if claim is not None else None
            if guid is None:
                break
            entities.append(guid)
            wanted.append(guid)
            scope = str(guid)
        return entities, wanted

    def user(self, ref: str, include_deleted: bool = False) -> User:
        return self._by_ref(User, ref, "", None, None, include_deleted)

    def chain(
        self,
        org: str,
        team: str | None = None,
        workspace: str | None = None,
        project: str | None = None,
        *,
        include_deleted_leaf: bool = False,
        visible: Callable[[Organization, str], None] | None = None,
    ) -> Chain:
        """`visible` vets the org before anything below it is looked up, so that what lies
        inside an org the caller cannot see never shows (not even as a missing team)."""
        refs = [r for r in (org, team, workspace, project) if r is not None]
        last = len(refs) - 1

        def deleted_ok(depth: int) -> bool:
            return include_deleted_leaf and depth == last

        found = Chain(self._by_ref(Organization, org, "", None, None, deleted_ok(0)), org)
        if visible is not None:
            visible(found.org, org)
        if team is not None:
            found.team = self._by_ref(
                Team, team, str(found.org.id), "organization_id", found.org.id, deleted_ok(1)
            )
        if workspace is not None and found.team is not None:
            found.workspace = self._by_ref(
                Workspace, workspace, str(found.team.id), "team_id", found.team.id, deleted_ok(2)
            )
        if project is not None and found.workspace is not None:
            found.project = self._by_ref(
                Project,
                project,
                str(found.workspace.id),
                "workspace_id",
                found.workspace.id,
                deleted_ok(3),
            )
        return found
