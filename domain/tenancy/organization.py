"""Organization: the tenant. Holds its groups (named sets of users that hold an org role)."""

from __future__ import annotations

import re
from uuid import UUID

from eventsourcing.domain import event

from domain.core.aggregate import CoreAggregate
from domain.core.errors import Conflict, InvalidInput, NotFound
from domain.tenancy.roles import OrgRole

_WEBSITE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def validate_website(website: str | None) -> str | None:
    if website is not None and (len(website) > 2048 or not _WEBSITE.match(website)):
        raise InvalidInput("website must be an http(s) URL", field="website")
    return website


class Organization(CoreAggregate):
    UPDATABLE = frozenset({"name", "description", "website", "slug"})

    @event("Created")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - chosen up front so the Created event names its own tenant
        name: str,
        slug: str,
        description: str,
        website: str | None,
        meta: dict,
    ) -> None:
        self._init_core(name, slug, description, meta)
        self.website = website
        self.groups: dict[str, dict] = {}

    # -- groups ---------------------------------------------------------------------
    def group(self, group_ref: str) -> tuple[str, dict]:
        for group_id, group in self.groups.items():
            if group_ref in (group_id, group["slug"]):
                return group_id, group
        raise NotFound(f"group {group_ref!r} not found")

    def group_roles_of(self, user_id: UUID) -> list[OrgRole]:
        uid = str(user_id)
        return [OrgRole(g["role"]) for g in self.groups.values() if uid in g["members"]]

    def define_group(self, group_id: UUID, name: str, slug: str, role: OrgRole, meta: dict) -> None:
        if any(g["slug"] == slug for g in self.groups.values()):
            raise Conflict(f"group slug {slug!r} already exists", field="slug")
        self._group_defined(
            group_id=str(group_id), name=name, slug=slug, role=role.value, meta=meta
        )

    @event("GroupDefined")
    def _group_defined(self, group_id: str, name: str, slug: str, role: str, meta: dict) -> None:
        self.groups[group_id] = {"name": name, "slug": slug, "role": role, "members": []}

    def change_group(self, group_id: str, changes: dict, meta: dict) -> None:
        if "slug" in changes and any(
            g["slug"] == changes["slug"] for gid, g in self.groups.items() if gid != group_id
        ):
            raise Conflict(f"group slug {changes['slug']!r} already exists", field="slug")
        self._group_changed(group_id=group_id, changes=changes, meta=meta)

    @event("GroupChanged")
    def _group_changed(self, group_id: str, changes: dict, meta: dict) -> None:
        self.groups[group_id].update(changes)

    @event("GroupRemoved")
    def remove_group(self, group_id: str, meta: dict) -> None:
        del self.groups[group_id]

    def add_group_member(self, group_id: str, user_id: UUID, meta: dict) -> bool:
        if str(user_id) in self.groups[group_id]["members"]:
            return False
        self._group_member_added(group_id=group_id, user_id=str(user_id), meta=meta)
        return True

    @event("GroupMemberAdded")
    def _group_member_added(self, group_id: str, user_id: str, meta: dict) -> None:
        self.groups[group_id]["members"].append(user_id)

    def remove_group_member(self, group_id: str, user_id: UUID, meta: dict) -> None:
        if str(user_id) not in self.groups[group_id]["members"]:
            raise NotFound("user is not in this group")
        self._group_member_removed(group_id=group_id, user_id=str(user_id), meta=meta)

    @event("GroupMemberRemoved")
    def _group_member_removed(self, group_id: str, user_id: str, meta: dict) -> None:
        self.groups[group_id]["members"].remove(user_id)
