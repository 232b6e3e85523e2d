"""Tables of the catalog read model (schema rm_catalog, or its rebuild shadow)."""

from __future__ import annotations

from psycopg import Cursor

from projections.engine.entity_rows import BASE_COLUMNS_DDL, ENTITY_TABLES_DDL, EntityTable, run_ddl

SKILLS = EntityTable(
    "skills",
    ("organization_id", "category"),
    mutable_only=(
        "current_version",
        "latest_version",
        "content_hash",
        "storage_ref",
        "front_matter",
    ),
)
CONFIGS = EntityTable(
    "configs",
    ("organization_id", "category"),
    mutable_only=("current_version", "latest_version", "content_hash", "content"),
)
CATEGORIES = EntityTable("config_categories", ("organization_id", "schema"))
TOOLS = EntityTable("tools", ("organization_id", "input_schema", "handler_ref", "adapter_ref"))

_VERSION_COLUMNS = """version_number integer NOT NULL, content_hash text NOT NULL,
    created_at timestamptz NOT NULL, created_by text, created_position bigint NOT NULL"""

_DDL = [
    f"""CREATE TABLE IF NOT EXISTS {{s}}.skills ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, category text NOT NULL,
        current_version integer NOT NULL DEFAULT 0, latest_version integer NOT NULL DEFAULT 0,
        content_hash text, storage_ref text, front_matter jsonb)""",
    f"""CREATE TABLE IF NOT EXISTS {{s}}.skill_versions (skill_id uuid NOT NULL,
        organization_id uuid NOT NULL, {_VERSION_COLUMNS}, storage_ref text NOT NULL,
        files jsonb NOT NULL, front_matter jsonb NOT NULL,
        PRIMARY KEY (skill_id, version_number))""",
    f"""CREATE TABLE IF NOT EXISTS {{s}}.configs ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, category text NOT NULL,
        current_version integer NOT NULL DEFAULT 0, latest_version integer NOT NULL DEFAULT 0,
        content_hash text, content jsonb)""",
    f"""CREATE TABLE IF NOT EXISTS {{s}}.config_versions (config_id uuid NOT NULL,
        organization_id uuid NOT NULL, {_VERSION_COLUMNS}, content jsonb NOT NULL,
        PRIMARY KEY (config_id, version_number))""",
    f"""CREATE TABLE IF NOT EXISTS {{s}}.config_categories ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, schema jsonb NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {{s}}.tools ({BASE_COLUMNS_DDL},
        organization_id uuid, input_schema jsonb NOT NULL, handler_ref text NOT NULL,
        adapter_ref text)""",
    # Which table holds an entity: base-class events (Updated, RolledBack...) name only the id.
    ENTITY_TABLES_DDL,
    "CREATE INDEX IF NOT EXISTS skills_org ON {s}.skills (organization_id, created_position)",
    "CREATE INDEX IF NOT EXISTS skills_slug ON {s}.skills (organization_id, slug)",
    "CREATE INDEX IF NOT EXISTS configs_org ON {s}.configs (organization_id, created_position)",
    "CREATE INDEX IF NOT EXISTS configs_slug ON {s}.configs (organization_id, slug)",
    """CREATE INDEX IF NOT EXISTS categories_org
        ON {s}.config_categories (organization_id, created_position)""",
    "CREATE INDEX IF NOT EXISTS tools_org ON {s}.tools (organization_id, created_position)",
    "CREATE INDEX IF NOT EXISTS tools_slug ON {s}.tools (organization_id, slug)",
]


def create_tables(cur: Cursor, schema: str) -> None:
    run_ddl(cur, schema, _DDL)
