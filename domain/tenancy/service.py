"""Tenancy's use cases in one place for the composition root to build."""

from __future__ import annotations

from domain.plumbing.store import EventStore
from domain.tenancy.group_service import GroupService
from domain.tenancy.hierarchy_service import HierarchyService
from domain.tenancy.membership_service import MembershipService
from domain.tenancy.resolver import Resolver


class TenancyService:
    def __init__(self, store: EventStore) -> None:
        self.hierarchy = HierarchyService(store)
        self.memberships = MembershipService(store)
        self.groups = GroupService(store)
        self.resolve = Resolver(store)
