"""SecretsProjection: secrets, their version references and the access ledger."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor, sql
from psycopg.types.json import Jsonb

from domain.secrets.ledger import SecretAccess
from domain.secrets.secret import Secret
from projections.engine.dispatch import BY_ORIGINATOR, Creates, EventDispatch, events_to_apply
from projections.engine.entity_rows import LIFECYCLE_EVENTS, OneTableIndex, lifecycle_changes
from projections.engine.log import LogBatch
from projections.engine.row_writes import RowWrites
from projections.secrets import tables

_INDEX = OneTableIndex(tables.SECRETS)
VERSION, ACCESSED, AGAIN = "secret version", "secret accessed", "secret accessed again"


def _target(cls: type) -> object:
    if issubclass(cls, Secret.Created):
        return Creates(tables.SECRETS)
    if issubclass(cls, Secret.VersionAdded):
        return VERSION
    if issubclass(cls, SecretAccess.Accessed):
        return ACCESSED
    if issubclass(cls, SecretAccess.AccessedAgain):
        return AGAIN
    if issubclass(cls, LIFECYCLE_EVENTS):
        return BY_ORIGINATOR
    return None


_DISPATCH = EventDispatch(_target)


def reference_of(stored: dict[str, str]) -> dict[str, str]:
    """Where a version is kept, minus its ciphertext (which stays in the event only)."""
    return {k: v for k, v in stored.items() if k != "ciphertext"}


class SecretsProjection:
    name = "secrets"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        tables.create_tables(cur, schema)

    def apply(self, cur: Cursor, schema: str, batch: LogBatch) -> None:
        rows = RowWrites(schema, _INDEX)
        for each in events_to_apply(cur, schema, batch, _DISPATCH, _INDEX):
            event, position = each.event, each.position
            if isinstance(each.target, Creates):
                rows.create(each.table, event, position)
            elif each.target is VERSION:
                self._version(cur, schema, event, position)
                rows.change(tables.SECRETS, event, {"latest_version": event.version_number})
            elif each.target is ACCESSED:
                self._accessed(cur, schema, event, position)
            elif each.target is AGAIN:
                self._again(cur, schema, event)
            else:
                changes = lifecycle_changes(event)
                if changes is not None:
                    rows.change(tables.SECRETS, event, changes)
        rows.flush(cur)

    def _insert(self, cur: Cursor, schema: str, table: str, values: dict[str, Any]) -> None:
        cur.execute(
            sql.SQL("INSERT INTO {}.{} ({}) VALUES ({}) ON CONFLICT DO NOTHING").format(
                sql.Identifier(schema),
                sql.Identifier(table),
                sql.SQL(", ").join(map(sql.Identifier, values)),
                sql.SQL(", ").join(sql.Placeholder() * len(values)),
            ),
            list(values.values()),
        )

    def _version(self, cur: Cursor, schema: str, event: Any, position: int) -> None:
        values = {
            "secret_id": event.originator_id,
            "organization_id": event.meta.get("tenant_id"),
            "version_number": event.version_number,
            "backend": event.backend,
            "reference": Jsonb(reference_of(event.stored)),
            "created_at": event.created_at,
            "created_by": event.meta.get("actor"),
            "created_position": position,
        }
        self._insert(cur, schema, "secret_versions", values)

    def _accessed(self, cur: Cursor, schema: str, event: Any, position: int) -> None:
        values = {
            "access_id": event.originator_id,
            "secret_id": event.secret_id,
            "organization_id": event.organization_id,
            "task_id": event.task_id,
            "attempt": event.attempt,
            "version_number": event.version,
            "backend": event.backend,
            "resolver": event.resolver,
            "delivery": event.delivery,
            "target": event.target,
            "accessed_at": event.timestamp,
            "last_accessed_at": event.timestamp,
            "created_position": position,
        }
        self._insert(cur, schema, "secret_accesses", values)

    def _again(self, cur: Cursor, schema: str, event: Any) -> None:
        cur.execute(
            sql.SQL(
                "UPDATE {}.secret_accesses SET times = times + 1, resolver = %s,"
                " last_accessed_at = %s WHERE access_id = %s AND last_accessed_at < %s"
            ).format(sql.Identifier(schema)),
            (event.resolver, event.timestamp, event.originator_id, event.timestamp),
        )
