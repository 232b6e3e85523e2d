"""Tables of the infrastructure read model (schema rm_infra, or its rebuild shadow)."""

from __future__ import annotations

from psycopg import Cursor

from projections.engine.entity_rows import BASE_COLUMNS_DDL, ENTITY_TABLES_DDL, EntityTable, run_ddl

AGENT_DEFINITIONS = EntityTable(
    "agent_definitions",
    ("organization_id", "category"),
    mutable_only=("current_version", "latest_version", "content_hash", "spec"),
)
RUNTIME_TARGETS = EntityTable(
    "runtime_targets",
    (
        "organization_id",
        "scope_type",
        "scope_id",
        "backend_type",
        "endpoint",
        "namespace",
        "is_default",
    ),
    mutable_only=("infra_service",),
)

_DDL = [
    f"""CREATE TABLE IF NOT EXISTS {{s}}.agent_definitions ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, category text NOT NULL,
        current_version integer NOT NULL DEFAULT 0, latest_version integer NOT NULL DEFAULT 0,
        content_hash text, spec jsonb)""",
    """CREATE TABLE IF NOT EXISTS {s}.agent_definition_versions (
        agent_definition_id uuid NOT NULL, organization_id uuid NOT NULL,
        version_number integer NOT NULL, content_hash text NOT NULL,
        created_at timestamptz NOT NULL, created_by text, created_position bigint NOT NULL,
        spec jsonb NOT NULL, PRIMARY KEY (agent_definition_id, version_number))""",
    f"""CREATE TABLE IF NOT EXISTS {{s}}.runtime_targets ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, scope_type text NOT NULL, scope_id uuid NOT NULL,
        backend_type text NOT NULL, endpoint text, namespace text,
        is_default boolean NOT NULL)""",
    # Added later: a read model made before has it added (a rebuild fills it). Only when
    # missing: ALTER TABLE locks the table out, readers included, even when it is a no-op.
    """DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_attribute
        WHERE attrelid = '{s}.runtime_targets'::regclass AND attname = 'infra_service') THEN
        ALTER TABLE {s}.runtime_targets ADD COLUMN infra_service uuid;
        END IF; END $$""",
    ENTITY_TABLES_DDL,
    """CREATE INDEX IF NOT EXISTS agent_definitions_org
        ON {s}.agent_definitions (organization_id, created_position)""",
    """CREATE INDEX IF NOT EXISTS runtime_targets_scope
        ON {s}.runtime_targets (scope_id, created_position)""",
]


def create_tables(cur: Cursor, schema: str) -> None:
    run_ddl(cur, schema, _DDL)
