"""Organization: the tenant. Holds its groups (named sets of users that hold an org role)
and who owns it directly, so that the last owner can never be taken away."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.core.aggregate import CoreAggregate
from domain.core.context import Meta
from domain.core.errors import Conflict, InvalidInput, NotFound
from domain.tenancy.roles import Role

_WEBSITE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def validate_website(website: str | None) -> str | None:
    if website is not None and (len(website) > 2048 or not _WEBSITE.match(website)):
        raise InvalidInput("website must be an http(s) URL", field="website")
    return website


class Organization(CoreAggregate):
    snapshot_interval = 50
    UPDATABLE = frozenset({"name", "description", "website", "slug"})

    @event("Created")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - chosen up front so the Created event names its own tenant
        name: str,
        slug: str,
        description: str,
        website: str | None,
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, description, meta)
        self.website = website
        # Each group's name, slug, role (a Role's value) and members (users' ids).
        self.groups: dict[str, dict[str, Any]] = {}
        # Direct owners, as users' ids; before OwnerAdded existed only the creator was one.
        actor = meta.get("actor")
        self.direct_owners: list[str] = [actor] if actor else []

    # -- owners -----------------------------------------------------------------------
    @property
    def owner_candidates(self) -> list[str]:
        """Who may own it directly (their memberships say whether they still do).

        A snapshot taken before owners were tracked has none: its creator is the one."""
        owners: list[str] | None = self.__dict__.get("direct_owners")
        if owners is None:
            return [self.created_by] if self.created_by else []
        return owners

    def check_an_owner_remains(
        self,
        direct: set[str],
        *,
        not_direct: str | None = None,
        leaving: str | None = None,
        group_gone: str | None = None,
        out_of_group: tuple[str, str] | None = None,
    ) -> None:
        """The last owner can never go: `direct` are its verified direct owners, the rest
        says what the command would take away."""
        owners = direct - {not_direct, leaving}
        for gid, g in self.groups.items():
            if g["role"] == Role.OWNER and gid != group_gone:
                owners |= {u for u in g["members"] if u != leaving and (gid, u) != out_of_group}
        if not owners:
            raise Conflict(
                "an organization keeps at least one owner: make someone else owner first"
            )

    def add_owner(self, user_id: UUID, meta: Meta) -> None:
        if str(user_id) not in self.owner_candidates:
            self._owner_added(user_id=str(user_id), meta=meta)

    @event("OwnerAdded")
    def _owner_added(self, user_id: str, meta: Meta) -> None:
        self.direct_owners = [*self.owner_candidates, user_id]

    def remove_owner(self, user_id: UUID, meta: Meta) -> None:
        if str(user_id) in self.owner_candidates:
            self._owner_removed(user_id=str(user_id), meta=meta)

    @event("OwnerRemoved")
    def _owner_removed(self, user_id: str, meta: Meta) -> None:
        self.direct_owners = [u for u in self.owner_candidates if u != user_id]

    # -- purge ----------------------------------------------------------------------
    @property
    def is_purged(self) -> bool:
        return bool(getattr(self, "purged", False))  # older snapshots lack the attribute

    def mark_purged(self, meta: Meta) -> None:
        """Recorded with the purge, on the org itself: a restore racing the purge conflicts
        on the org's version, so the two can never both commit."""
        if not self.is_deleted:
            raise Conflict("only a deleted organization can be purged: delete it first")
        if not self.is_purged:
            self._purged(meta=meta)

    @event("Purged")
    def _purged(self, meta: Meta) -> None:
        self.purged = True

    def restore(self, meta: Meta) -> None:
        if self.is_purged:
            raise Conflict("the organization was purged: its data key is destroyed for good")
        super().restore(meta)

    # -- groups ---------------------------------------------------------------------
    def group(self, group_ref: str) -> tuple[str, dict[str, Any]]:
        for group_id, group in self.groups.items():
            if group_ref in (group_id, group["slug"]):
                return group_id, group
        raise NotFound(f"group {group_ref!r} not found")

    def group_roles_of(self, user_id: UUID) -> list[Role]:
        uid = str(user_id)
        return [Role(g["role"]) for g in self.groups.values() if uid in g["members"]]

    def define_group(self, group_id: UUID, name: str, slug: str, role: Role, meta: Meta) -> None:
        if any(g["slug"] == slug for g in self.groups.values()):
            raise Conflict(f"group slug {slug!r} already exists", field="slug")
        self._group_defined(
            group_id=str(group_id), name=name, slug=slug, role=role.value, meta=meta
        )

    @event("GroupDefined")
    def _group_defined(self, group_id: str, name: str, slug: str, role: str, meta: Meta) -> None:
        self.groups[group_id] = {"name": name, "slug": slug, "role": role, "members": []}

    def change_group(self, group_id: str, changes: dict[str, Any], meta: Meta) -> None:
        if "slug" in changes and any(
            g["slug"] == changes["slug"] for gid, g in self.groups.items() if gid != group_id
        ):
            raise Conflict(f"group slug {changes['slug']!r} already exists", field="slug")
        self._group_changed(group_id=group_id, changes=changes, meta=meta)

    @event("GroupChanged")
    def _group_changed(self, group_id: str, changes: dict[str, Any], meta: Meta) -> None:
        self.groups[group_id].update(changes)

    @event("GroupRemoved")
    def remove_group(self, group_id: str, meta: Meta) -> None:
        del self.groups[group_id]

    def add_group_member(self, group_id: str, user_id: UUID, meta: Meta) -> bool:
        if str(user_id) in self.groups[group_id]["members"]:
            return False
        self._group_member_added(group_id=group_id, user_id=str(user_id), meta=meta)
        return True

    @event("GroupMemberAdded")
    def _group_member_added(self, group_id: str, user_id: str, meta: Meta) -> None:
        self.groups[group_id]["members"].append(user_id)

    def remove_group_member(self, group_id: str, user_id: UUID, meta: Meta) -> None:
        if str(user_id) not in self.groups[group_id]["members"]:
            raise NotFound("user is not in this group")
        self._group_member_removed(group_id=group_id, user_id=str(user_id), meta=meta)

    @event("GroupMemberRemoved")
    def _group_member_removed(self, group_id: str, user_id: str, meta: Meta) -> None:
        self.groups[group_id]["members"].remove(user_id)
