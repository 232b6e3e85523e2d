"""Tables of the workflow-instances read model (schema rm_workflow_instances, or its rebuild
shadow): each instance as it is now, each stage execution (one row per attempt), and the
instance's timeline (one row per event of the instance or of its executions)."""

from __future__ import annotations

from psycopg import Cursor

from projections.engine.entity_rows import BASE_COLUMNS_DDL, EntityTable, run_ddl

INSTANCES = EntityTable(
    "workflow_instances",
    (
        "organization_id",
        "team_id",
        "workspace_id",
        "project_id",
        "template_id",
        "template_version",
        "temporal_wf_id",
        "input_context",
    ),
    mutable_only=("status", "run", "stage_results", "current_stage", "failed_stage", "reason"),
)

_DDL = [
    f"""CREATE TABLE IF NOT EXISTS {{s}}.workflow_instances ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, team_id uuid NOT NULL, workspace_id uuid NOT NULL,
        project_id uuid NOT NULL, template_id uuid NOT NULL, template_version integer NOT NULL,
        temporal_wf_id text NOT NULL, input_context jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending', run integer NOT NULL DEFAULT 1,
        stage_results jsonb NOT NULL DEFAULT '{{{{}}}}', current_stage text, failed_stage text,
        reason text)""",
    """CREATE TABLE IF NOT EXISTS {s}.stage_executions (guid uuid PRIMARY KEY,
        workflow_instance_id uuid NOT NULL, organization_id uuid NOT NULL,
        project_id uuid NOT NULL, run integer NOT NULL, stage_id text NOT NULL,
        stage_type text NOT NULL, attempt_number integer NOT NULL, task_id uuid,
        status text NOT NULL, output jsonb, error jsonb, started_at timestamptz NOT NULL,
        finished_at timestamptz, position bigint NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {s}.instance_timeline (instance_id uuid NOT NULL,
        position bigint NOT NULL, at timestamptz NOT NULL, event text NOT NULL,
        run integer, stage text, attempt integer, status text, task_id uuid,
        detail jsonb NOT NULL DEFAULT '{{}}', actor text, PRIMARY KEY (instance_id, position))""",
    """CREATE INDEX IF NOT EXISTS instances_project
        ON {s}.workflow_instances (project_id, created_position)""",
    """CREATE INDEX IF NOT EXISTS executions_instance
        ON {s}.stage_executions (workflow_instance_id, position)""",
]


def create_tables(cur: Cursor, schema: str) -> None:
    run_ddl(cur, schema, _DDL)
