"""Tables of the tenancy read model (schema rm_tenancy, or its rebuild shadow)."""

from __future__ import annotations

from psycopg import Cursor

from projections.engine.entity_rows import BASE_COLUMNS_DDL, ENTITY_TABLES_DDL, EntityTable, run_ddl

ORGANIZATIONS = EntityTable("organizations", ("website",))
TEAMS = EntityTable("teams", ("organization_id",))
WORKSPACES = EntityTable("workspaces", ("organization_id", "team_id", "is_active"))
PROJECTS = EntityTable("projects", ("organization_id", "team_id", "workspace_id", "settings"))
ORG_MEMBERS = EntityTable("org_members", ("organization_id", "user_id", "role"))
TEAM_MEMBERS = EntityTable("team_members", ("organization_id", "team_id", "user_id", "role"))
WORKSPACE_MEMBERS = EntityTable(
    "workspace_members", ("organization_id", "team_id", "workspace_id", "user_id", "role")
)
PROJECT_MEMBERS = EntityTable(
    "project_members",
    ("organization_id", "team_id", "workspace_id", "project_id", "user_id", "role"),
)

_DDL = [
    f"CREATE TABLE IF NOT EXISTS {{s}}.organizations ({BASE_COLUMNS_DDL}, website text)",
    f"CREATE TABLE IF NOT EXISTS {{s}}.teams ({BASE_COLUMNS_DDL}, organization_id uuid NOT NULL)",
    f"""CREATE TABLE IF NOT EXISTS {{s}}.workspaces ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, team_id uuid NOT NULL, is_active boolean NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {{s}}.projects ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, team_id uuid NOT NULL, workspace_id uuid NOT NULL,
        settings jsonb NOT NULL DEFAULT '{{{{}}}}')""",
    f"""CREATE TABLE IF NOT EXISTS {{s}}.org_members ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, user_id uuid NOT NULL, role text NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {{s}}.team_members ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, team_id uuid NOT NULL, user_id uuid NOT NULL,
        role text NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {{s}}.workspace_members ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, team_id uuid NOT NULL, workspace_id uuid NOT NULL,
        user_id uuid NOT NULL, role text NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {{s}}.project_members ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, team_id uuid NOT NULL, workspace_id uuid NOT NULL,
        project_id uuid NOT NULL, user_id uuid NOT NULL, role text NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {s}.groups (
        guid uuid PRIMARY KEY, organization_id uuid NOT NULL, slug text NOT NULL,
        name text NOT NULL, role text NOT NULL, created_position bigint NOT NULL,
        created_at timestamptz NOT NULL, created_by text,
        updated_at timestamptz NOT NULL, updated_by text)""",
    """CREATE TABLE IF NOT EXISTS {s}.group_members (
        group_id uuid NOT NULL, organization_id uuid NOT NULL, user_id uuid NOT NULL,
        PRIMARY KEY (group_id, user_id))""",
    ENTITY_TABLES_DDL,
    "CREATE INDEX IF NOT EXISTS teams_org ON {s}.teams (organization_id, created_position)",
    "CREATE INDEX IF NOT EXISTS ws_team ON {s}.workspaces (team_id, created_position)",
    "CREATE INDEX IF NOT EXISTS projects_ws ON {s}.projects (workspace_id, created_position)",
    "CREATE INDEX IF NOT EXISTS om_user ON {s}.org_members (user_id) WHERE deleted_at IS NULL",
    "CREATE INDEX IF NOT EXISTS om_org ON {s}.org_members (organization_id, created_position)",
    "CREATE INDEX IF NOT EXISTS tm_team ON {s}.team_members (team_id, created_position)",
    "CREATE INDEX IF NOT EXISTS gm_user ON {s}.group_members (user_id)",
    # Path segments resolve by slug within the parent, memberships by (scope, user).
    "CREATE INDEX IF NOT EXISTS orgs_slug ON {s}.organizations (slug)",
    "CREATE INDEX IF NOT EXISTS teams_slug ON {s}.teams (organization_id, slug)",
    "CREATE INDEX IF NOT EXISTS ws_slug ON {s}.workspaces (team_id, slug)",
    "CREATE INDEX IF NOT EXISTS projects_slug ON {s}.projects (workspace_id, slug)",
    "CREATE INDEX IF NOT EXISTS om_org_user ON {s}.org_members (organization_id, user_id)",
    "CREATE INDEX IF NOT EXISTS tm_team_user ON {s}.team_members (team_id, user_id)",
    "CREATE INDEX IF NOT EXISTS wm_ws ON {s}.workspace_members (workspace_id, created_position)",
    "CREATE INDEX IF NOT EXISTS wm_ws_user ON {s}.workspace_members (workspace_id, user_id)",
    "CREATE INDEX IF NOT EXISTS pm_project ON {s}.project_members (project_id, created_position)",
    "CREATE INDEX IF NOT EXISTS pm_project_user ON {s}.project_members (project_id, user_id)",
]


def create_tables(cur: Cursor, schema: str) -> None:
    run_ddl(cur, schema, _DDL)
