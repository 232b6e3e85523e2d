"""TenancyProjection: organizations, groups, members, teams, workspaces, projects."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor, sql

from domain.tenancy.hierarchy import Project, Team, Workspace
from domain.tenancy.membership import OrganizationMember, TeamMembership
from domain.tenancy.organization import Organization
from projections.base import HandlesEachEvent
from projections.entity_rows import EntityTable, lifecycle_changes, remember_table, table_of
from projections.tenancy import tables

_CREATED: dict[type, EntityTable] = {
    Organization.Created: tables.ORGANIZATIONS,
    Team.Created: tables.TEAMS,
    Workspace.Created: tables.WORKSPACES,
    Project.Created: tables.PROJECTS,
    OrganizationMember.Granted: tables.ORG_MEMBERS,
    TeamMembership.Granted: tables.TEAM_MEMBERS,
}
_BY_NAME = {t.table: t for t in _CREATED.values()}


class TenancyProjection(HandlesEachEvent):
    name = "tenancy"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        tables.create_tables(cur, schema)

    def handle(self, cur: Cursor, schema: str, event: Any, position: int) -> None:
        created = _CREATED.get(type(event))
        if created is not None:
            created.insert_created(cur, schema, event, position)
            remember_table(cur, schema, event.originator_id, created.table)
            return
        changes = lifecycle_changes(event)
        if changes is not None:
            table = table_of(cur, schema, event.originator_id, _BY_NAME)
            if table is not None:
                table.apply_change(cur, schema, event, changes)
            return
        if isinstance(event, Organization.Event):
            self._handle_group_event(cur, schema, event, position)
            # Group events are organization events: the row's version (its ETag) follows.
            tables.ORGANIZATIONS.apply_change(cur, schema, event, {})

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
