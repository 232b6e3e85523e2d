"""Each aggregate class declares its snapshot interval; the store collects them, so a new
bounded context edits nothing shared."""

from __future__ import annotations

from domain.catalog.config import Config
from domain.catalog.config_category import ConfigCategory
from domain.catalog.skill import Skill
from domain.catalog.tooldef import ToolDef
from domain.core.slugs import SlugClaim
from domain.identity.token import ApiToken
from domain.identity.user import User
from domain.plumbing.store import EventStore
from domain.tenancy.hierarchy import Project, Team, Workspace
from domain.tenancy.membership import OrganizationMember, TeamMembership
from domain.tenancy.organization import Organization


def test_the_store_snapshots_what_each_aggregate_declares():
    intervals = EventStore().snapshotting_intervals
    for kind in (Organization, Team, Workspace, Project, User, Skill, Config):
        assert intervals[kind] == 50
    for kind in (SlugClaim, ApiToken, OrganizationMember, TeamMembership, ConfigCategory, ToolDef):
        assert kind not in intervals
