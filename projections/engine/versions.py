"""Rows of the numbered versions of a JSON-content definition (agent definitions, routes,
workflow templates): one row per VersionPublished, and the entity row's current-version
columns, also when a RolledBack moves the pointer back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import Cursor, sql
from psycopg.types.json import Jsonb


@dataclass(frozen=True)
class VersionRows:
    table: str  # e.g. workflow_template_versions
    key: str  # the entity's id column there, e.g. template_id
    content: str = "content"  # the content column there
    on_row: str = "content"  # the current version's content column on the entity row

    def insert(self, cur: Cursor, schema: str, event: Any, position: int) -> None:
        cur.execute(
            sql.SQL(
                "INSERT INTO {}.{} ({}, organization_id, version_number, content_hash,"
                " created_at, created_by, created_position, {})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
            ).format(
                sql.Identifier(schema),
                sql.Identifier(self.table),
                sql.Identifier(self.key),
                sql.Identifier(self.content),
            ),
            (
                event.originator_id,
                event.meta.get("tenant_id"),
                event.version_number,
                event.content_hash,
                event.published_at,
                event.meta.get("actor"),
                position,
                Jsonb(event.content),
            ),
        )

    def published(self, event: Any) -> dict[str, Any]:
        """The entity row's changes for a VersionPublished."""
        return {
            "current_version": event.version_number,
            "latest_version": event.version_number,
            "content_hash": event.content_hash,
            self.on_row: event.content,
        }

    def rolled_back(self, cur: Cursor, schema: str, event: Any) -> dict[str, Any]:
        """The version row may be from earlier in this batch: its insert is not folded."""
        cur.execute(
            sql.SQL(
                "SELECT content_hash, {} FROM {}.{} WHERE {} = %s AND version_number = %s"
            ).format(
                sql.Identifier(self.content),
                sql.Identifier(schema),
                sql.Identifier(self.table),
                sql.Identifier(self.key),
            ),
            (event.originator_id, event.to_version),
        )
        row = cur.fetchone()
        changes: dict[str, Any] = {"current_version": event.to_version}
        if row is not None:
            changes.update({"content_hash": row[0], self.on_row: row[1]})
        return changes
