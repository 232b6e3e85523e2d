"""Tables of the tasks read model (schema rm_tasks, or its rebuild shadow): one row per
task as it is now, and its timeline (one row per transition)."""

from __future__ import annotations

from psycopg import Cursor

from projections.engine.entity_rows import BASE_COLUMNS_DDL, EntityTable, run_ddl

TASKS = EntityTable(
    "tasks",
    (
        "organization_id",
        "team_id",
        "workspace_id",
        "project_id",
        "agent_image",
        "brief_key",
        "callback_url",
        "skills",
        "configs",
        "tools",
        "agent_definition",
        "runtime_target",
        "input",
        "timeout_seconds",
        "resources",
    ),
    mutable_only=(
        "status",
        "attempt",
        "dispatcher_id",
        "cancel_requested",
        "result",
        "error",
        "progress",
        "reason",
        "deadline_at",
        "finished_at",
        "secrets",
        "waiting_reason",
    ),
)

_DDL = [
    f"""CREATE TABLE IF NOT EXISTS {{s}}.tasks ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, team_id uuid NOT NULL, workspace_id uuid NOT NULL,
        project_id uuid NOT NULL, agent_image text NOT NULL, brief_key text NOT NULL,
        callback_url text, skills jsonb NOT NULL, configs jsonb NOT NULL, tools jsonb NOT NULL,
        agent_definition jsonb, runtime_target jsonb NOT NULL, input jsonb NOT NULL,
        timeout_seconds integer NOT NULL, resources jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending', attempt integer NOT NULL DEFAULT 1,
        dispatcher_id text, cancel_requested boolean NOT NULL DEFAULT false,
        result jsonb, error jsonb, progress jsonb, reason text,
        deadline_at timestamptz, finished_at timestamptz)""",
    # Added later: a read model made before has them added (a rebuild fills them). Only
    # when missing: ALTER TABLE locks the table out, readers included, even when it is a no-op.
    """DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_attribute
        WHERE attrelid = '{s}.tasks'::regclass AND attname = 'waiting_reason') THEN
        ALTER TABLE {s}.tasks ADD COLUMN secrets jsonb NOT NULL DEFAULT '[]',
            ADD COLUMN waiting_reason text;
        END IF; END $$""",
    """CREATE TABLE IF NOT EXISTS {s}.task_timeline (task_id uuid NOT NULL,
        organization_id uuid NOT NULL, position bigint NOT NULL, at timestamptz NOT NULL,
        event text NOT NULL, status text, reason text, attempt integer NOT NULL,
        dispatcher_id text, actor text, PRIMARY KEY (task_id, position))""",
    "CREATE INDEX IF NOT EXISTS tasks_project ON {s}.tasks (project_id, created_position)",
    "CREATE INDEX IF NOT EXISTS tasks_status ON {s}.tasks (project_id, status, created_position)",
    "CREATE INDEX IF NOT EXISTS tasks_skills ON {s}.tasks USING gin (skills jsonb_path_ops)",
    """CREATE INDEX IF NOT EXISTS tasks_deadline ON {s}.tasks (deadline_at)
        WHERE status IN ('dispatched', 'running')""",
]


def create_tables(cur: Cursor, schema: str) -> None:
    run_ddl(cur, schema, _DDL)
