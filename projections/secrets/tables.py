"""Tables of the secrets read model (schema rm_secrets, or its rebuild shadow): names,
scopes and version references — never a value, never a ciphertext."""

from __future__ import annotations

from psycopg import Cursor

from projections.engine.entity_rows import BASE_COLUMNS_DDL, EntityTable, run_ddl

SECRETS = EntityTable(
    "secrets",
    (
        "organization_id",
        "team_id",
        "workspace_id",
        "category",
        "backend",
        "path_or_arn",
        "inherit",
    ),
    mutable_only=("latest_version",),
)

_DDL = [
    f"""CREATE TABLE IF NOT EXISTS {{s}}.secrets ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, team_id uuid, workspace_id uuid,
        category text NOT NULL, backend text NOT NULL, path_or_arn text NOT NULL,
        inherit boolean NOT NULL, latest_version integer NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS {s}.secret_versions (secret_id uuid NOT NULL,
        organization_id uuid NOT NULL, version_number integer NOT NULL, backend text NOT NULL,
        reference jsonb NOT NULL, created_at timestamptz NOT NULL, created_by text,
        created_position bigint NOT NULL, PRIMARY KEY (secret_id, version_number))""",
    """CREATE TABLE IF NOT EXISTS {s}.secret_accesses (access_id uuid PRIMARY KEY,
        secret_id uuid NOT NULL, organization_id uuid NOT NULL, task_id uuid NOT NULL,
        attempt integer NOT NULL, version_number integer NOT NULL, backend text NOT NULL,
        resolver text NOT NULL, delivery text NOT NULL, target text NOT NULL,
        accessed_at timestamptz NOT NULL, last_accessed_at timestamptz NOT NULL,
        times integer NOT NULL DEFAULT 1, created_position bigint NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS secrets_scope
        ON {s}.secrets (organization_id, team_id, workspace_id, created_position)""",
    """CREATE INDEX IF NOT EXISTS secret_accesses_secret
        ON {s}.secret_accesses (secret_id, created_position)""",
    """CREATE INDEX IF NOT EXISTS secret_accesses_task
        ON {s}.secret_accesses (task_id, attempt, created_position)""",
]


def create_tables(cur: Cursor, schema: str) -> None:
    run_ddl(cur, schema, _DDL)
