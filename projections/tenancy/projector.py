"""TenancyProjection: organizations, groups, members, teams, workspaces, projects."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor, sql

from domain.tenancy.hierarchy import Project, Team, Workspace
from domain.tenancy.membership import (
    OrganizationMember,
    ProjectMembership,
    TeamMembership,
    WorkspaceMembership,
)
from domain.tenancy.organization import Organization
from projections.engine.dispatch import BY_ORIGINATOR, Creates, EventDispatch, events_to_apply
from projections.engine.entity_rows import LIFECYCLE_EVENTS, EntityTablesIndex, lifecycle_changes
from projections.engine.log import LogBatch
from projections.engine.row_writes import RowWrites
from projections.tenancy import tables

_CREATED = {
    Organization.Created: Creates(tables.ORGANIZATIONS),
    Team.Created: Creates(tables.TEAMS),
    Workspace.Created: Creates(tables.WORKSPACES),
    Project.Created: Creates(tables.PROJECTS),
    OrganizationMember.Granted: Creates(tables.ORG_MEMBERS),
    TeamMembership.Granted: Creates(tables.TEAM_MEMBERS),
    WorkspaceMembership.Granted: Creates(tables.WORKSPACE_MEMBERS),
    ProjectMembership.Granted: Creates(tables.PROJECT_MEMBERS),
}
_INDEX = EntityTablesIndex(c.table for c in _CREATED.values())
GROUP_EVENT = "group event"


def _target(cls: type) -> object:
    if cls in _CREATED:
        return _CREATED[cls]
    if issubclass(cls, LIFECYCLE_EVENTS):
        return BY_ORIGINATOR
    if issubclass(cls, Organization.Event):
        return GROUP_EVENT
    return None


_DISPATCH = EventDispatch(_target)


class TenancyProjection:
    name = "tenancy"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        tables.create_tables(cur, schema)

    def apply(self, cur: Cursor, schema: str, batch: LogBatch) -> None:
        rows = RowWrites(schema, _INDEX)
        for each in events_to_apply(cur, schema, batch, _DISPATCH, _INDEX):
            event, table = each.event, each.table
            if isinstance(each.target, Creates):
                rows.create(table, event, each.position)
            elif each.target is BY_ORIGINATOR:
                rows.change(table, event, lifecycle_changes(event))
            else:
                self._handle_group_event(cur, schema, event, each.position)
                # Group events are organization events: the row's version (its ETag) follows.
                rows.change(tables.ORGANIZATIONS, event, {})
        rows.flush(cur)

    def _handle_group_event(self, cur: Cursor, schema: str, event: Any, position: int) -> None:
        s = sql.Identifier(schema)
        actor = event.meta.get("actor")
        kind = type(event).__name__
        org_id = event.originator_id
        if kind == "GroupDefined":
            cur.execute(
                sql.SQL(
                    "INSERT INTO {}.groups VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
                    "ON CONFLICT DO NOTHING"
                ).format(s),
                (
                    event.group_id,
                    org_id,
                    event.slug,
                    event.name,
                    event.role,
                    position,
                    event.timestamp,
                    actor,
                    event.timestamp,
                    actor,
                ),
            )
        elif kind == "GroupChanged":
            changes = {k: v for k, v in event.changes.items() if k in ("name", "slug", "role")}
            assignments = sql.SQL(", ").join(
                sql.SQL("{} = %s").format(sql.Identifier(k)) for k in changes
            )
            cur.execute(
                sql.SQL(
                    "UPDATE {}.groups SET {}, updated_at = %s, updated_by = %s WHERE guid = %s"
                ).format(s, assignments),
                [*changes.values(), event.timestamp, actor, event.group_id],
            )
        elif kind == "GroupRemoved":
            cur.execute(
                sql.SQL("DELETE FROM {}.group_members WHERE group_id = %s").format(s),
                (event.group_id,),
            )
            cur.execute(
                sql.SQL("DELETE FROM {}.groups WHERE guid = %s").format(s), (event.group_id,)
            )
        elif kind == "GroupMemberAdded":
            cur.execute(
                sql.SQL(
                    "INSERT INTO {}.group_members VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
                ).format(s),
                (event.group_id, org_id, event.user_id),
            )
        elif kind == "GroupMemberRemoved":
            cur.execute(
                sql.SQL("DELETE FROM {}.group_members WHERE group_id = %s AND user_id = %s").format(
                    s
                ),
                (event.group_id, event.user_id),
            )
