"""Aggregates and events are stored by topic (`module:QualName`), in events and snapshots:
every topic a database holds today must still load after code moves. Moving an aggregate's
module needs `register_topic(old, new_class)` for the class and each of its events."""

from __future__ import annotations

import pytest
from eventsourcing.utils import get_topic, resolve_topic

import signalyard.bootstrap  # noqa: F401 - every context's aggregates
from domain.core.slugs import SlugClaim
from domain.plumbing.store import EventStore

# Every aggregate and event topic the code defined before the plumbing moved (issue 12).
STORED_TOPICS = [
    "domain.catalog.config:Config",
    "domain.catalog.config:Config.Created",
    "domain.catalog.config:Config.Deleted",
    "domain.catalog.config:Config.Event",
    "domain.catalog.config:Config.RolledBack",
    "domain.catalog.config:Config.Undeleted",
    "domain.catalog.config:Config.Updated",
    "domain.catalog.config:Config.VersionPublished",
    "domain.catalog.config_category:ConfigCategory",
    "domain.catalog.config_category:ConfigCategory.Created",
    "domain.catalog.config_category:ConfigCategory.Deleted",
    "domain.catalog.config_category:ConfigCategory.Event",
    "domain.catalog.config_category:ConfigCategory.Undeleted",
    "domain.catalog.config_category:ConfigCategory.Updated",
    "domain.catalog.skill:Skill",
    "domain.catalog.skill:Skill.Created",
    "domain.catalog.skill:Skill.Deleted",
    "domain.catalog.skill:Skill.Event",
    "domain.catalog.skill:Skill.RolledBack",
    "domain.catalog.skill:Skill.Undeleted",
    "domain.catalog.skill:Skill.Updated",
    "domain.catalog.skill:Skill.VersionPublished",
    "domain.catalog.tooldef:ToolDef",
    "domain.catalog.tooldef:ToolDef.Created",
    "domain.catalog.tooldef:ToolDef.Deleted",
    "domain.catalog.tooldef:ToolDef.Event",
    "domain.catalog.tooldef:ToolDef.Undeleted",
    "domain.catalog.tooldef:ToolDef.Updated",
    "domain.core.slugs:SlugClaim",
    "domain.core.slugs:SlugClaim.Claimed",
    "domain.core.slugs:SlugClaim.Created",
    "domain.core.slugs:SlugClaim.Event",
    "domain.core.slugs:SlugClaim.Reclaimed",
    "domain.core.slugs:SlugClaim.Released",
    "domain.identity.token:ApiToken",
    "domain.identity.token:ApiToken.Created",
    "domain.identity.token:ApiToken.Event",
    "domain.identity.token:ApiToken.Issued",
    "domain.identity.token:ApiToken.Revoked",
    "domain.identity.user:User",
    "domain.identity.user:User.Created",
    "domain.identity.user:User.Deleted",
    "domain.identity.user:User.Event",
    "domain.identity.user:User.Registered",
    "domain.identity.user:User.Undeleted",
    "domain.identity.user:User.Updated",
    "domain.tenancy.hierarchy:Project",
    "domain.tenancy.hierarchy:Project.Created",
    "domain.tenancy.hierarchy:Project.Deleted",
    "domain.tenancy.hierarchy:Project.Event",
    "domain.tenancy.hierarchy:Project.Undeleted",
    "domain.tenancy.hierarchy:Project.Updated",
    "domain.tenancy.hierarchy:Team",
    "domain.tenancy.hierarchy:Team.Created",
    "domain.tenancy.hierarchy:Team.Deleted",
    "domain.tenancy.hierarchy:Team.Event",
    "domain.tenancy.hierarchy:Team.Undeleted",
    "domain.tenancy.hierarchy:Team.Updated",
    "domain.tenancy.hierarchy:Workspace",
    "domain.tenancy.hierarchy:Workspace.Created",
    "domain.tenancy.hierarchy:Workspace.Deleted",
    "domain.tenancy.hierarchy:Workspace.Event",
    "domain.tenancy.hierarchy:Workspace.Undeleted",
    "domain.tenancy.hierarchy:Workspace.Updated",
    "domain.tenancy.membership:OrganizationMember",
    "domain.tenancy.membership:OrganizationMember.Created",
    "domain.tenancy.membership:OrganizationMember.Deleted",
    "domain.tenancy.membership:OrganizationMember.Event",
    "domain.tenancy.membership:OrganizationMember.Granted",
    "domain.tenancy.membership:OrganizationMember.Undeleted",
    "domain.tenancy.membership:OrganizationMember.Updated",
    "domain.tenancy.membership:ProjectMembership",
    "domain.tenancy.membership:ProjectMembership.Created",
    "domain.tenancy.membership:ProjectMembership.Deleted",
    "domain.tenancy.membership:ProjectMembership.Event",
    "domain.tenancy.membership:ProjectMembership.Granted",
    "domain.tenancy.membership:ProjectMembership.Undeleted",
    "domain.tenancy.membership:ProjectMembership.Updated",
    "domain.tenancy.membership:TeamMembership",
    "domain.tenancy.membership:TeamMembership.Created",
    "domain.tenancy.membership:TeamMembership.Deleted",
    "domain.tenancy.membership:TeamMembership.Event",
    "domain.tenancy.membership:TeamMembership.Granted",
    "domain.tenancy.membership:TeamMembership.Undeleted",
    "domain.tenancy.membership:TeamMembership.Updated",
    "domain.tenancy.membership:WorkspaceMembership",
    "domain.tenancy.membership:WorkspaceMembership.Created",
    "domain.tenancy.membership:WorkspaceMembership.Deleted",
    "domain.tenancy.membership:WorkspaceMembership.Event",
    "domain.tenancy.membership:WorkspaceMembership.Granted",
    "domain.tenancy.membership:WorkspaceMembership.Undeleted",
    "domain.tenancy.membership:WorkspaceMembership.Updated",
    "domain.tenancy.organization:Organization",
    "domain.tenancy.organization:Organization.Created",
    "domain.tenancy.organization:Organization.Deleted",
    "domain.tenancy.organization:Organization.Event",
    "domain.tenancy.organization:Organization.GroupChanged",
    "domain.tenancy.organization:Organization.GroupDefined",
    "domain.tenancy.organization:Organization.GroupMemberAdded",
    "domain.tenancy.organization:Organization.GroupMemberRemoved",
    "domain.tenancy.organization:Organization.GroupRemoved",
    "domain.tenancy.organization:Organization.OwnerAdded",
    "domain.tenancy.organization:Organization.OwnerRemoved",
    "domain.tenancy.organization:Organization.Purged",
    "domain.tenancy.organization:Organization.Undeleted",
    "domain.tenancy.organization:Organization.Updated",
    # Tasks and infrastructure (issue 14).
    "domain.tasks.task:Task",
    "domain.tasks.task:Task.Submitted",
    "domain.tasks.task:Task.Queued",
    "domain.tasks.task:Task.Claimed",
    "domain.tasks.task:Task.Started",
    "domain.tasks.task:Task.ProgressReported",
    "domain.tasks.task:Task.Succeeded",
    "domain.tasks.task:Task.Failed",
    "domain.tasks.task:Task.TimedOut",
    "domain.tasks.task:Task.CancelRequested",
    "domain.tasks.task:Task.Cancelled",
    "domain.tasks.task:Task.Requeued",
    "domain.infra.agent_definition:AgentDefinition",
    "domain.infra.agent_definition:AgentDefinition.Created",
    "domain.infra.agent_definition:AgentDefinition.VersionPublished",
    "domain.infra.agent_definition:AgentDefinition.RolledBack",
    "domain.infra.agent_definition:AgentDefinition.Updated",
    "domain.infra.agent_definition:AgentDefinition.Deleted",
    "domain.infra.agent_definition:AgentDefinition.Undeleted",
    "domain.infra.runtime_target:RuntimeTarget",
    "domain.infra.runtime_target:RuntimeTarget.Created",
    "domain.infra.runtime_target:RuntimeTarget.Updated",
    "domain.infra.runtime_target:RuntimeTarget.Deleted",
    "domain.infra.runtime_target:RuntimeTarget.Undeleted",
]


@pytest.mark.parametrize("topic", STORED_TOPICS)
def test_a_stored_topic_still_names_a_class(topic):
    assert isinstance(resolve_topic(topic), type)


def test_an_event_stored_under_its_topic_loads():
    store = EventStore()
    claim = SlugClaim(kind="org", scope_id="", slug="acme", owner_id=None, meta={})
    stored = store.mapper.to_stored_event(claim.collect_events()[0])
    assert stored.topic in STORED_TOPICS
    loaded = store.mapper.to_domain_event(stored)
    assert get_topic(type(loaded)) == stored.topic
    assert loaded.mutate(None).slug == "acme"
