"""Tables of the workflow templates read model (schema rm_workflow_templates, or its
rebuild shadow): each template with its draft and current version, and every version."""

from __future__ import annotations

from psycopg import Cursor

from projections.engine.entity_rows import BASE_COLUMNS_DDL, EntityTable, OneTableIndex, run_ddl
from projections.engine.versions import VersionRows

TEMPLATES = EntityTable(
    "workflow_templates",
    ("organization_id", "category"),
    mutable_only=("current_version", "latest_version", "content_hash", "content", "draft"),
)
INDEX = OneTableIndex(TEMPLATES)
VERSIONS = VersionRows("workflow_template_versions", "template_id")

_DDL = [
    f"""CREATE TABLE IF NOT EXISTS {{s}}.workflow_templates ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, category text NOT NULL,
        current_version integer NOT NULL DEFAULT 0, latest_version integer NOT NULL DEFAULT 0,
        content_hash text, content jsonb, draft jsonb)""",
    """CREATE TABLE IF NOT EXISTS {s}.workflow_template_versions (template_id uuid NOT NULL,
        organization_id uuid NOT NULL, version_number integer NOT NULL,
        content_hash text NOT NULL, created_at timestamptz NOT NULL, created_by text,
        created_position bigint NOT NULL, content jsonb NOT NULL,
        PRIMARY KEY (template_id, version_number))""",
    """CREATE INDEX IF NOT EXISTS workflow_templates_org
        ON {s}.workflow_templates (organization_id, created_position)""",
    """CREATE INDEX IF NOT EXISTS workflow_templates_slug
        ON {s}.workflow_templates (organization_id, slug)""",
]


def create_tables(cur: Cursor, schema: str) -> None:
    run_ddl(cur, schema, _DDL)
