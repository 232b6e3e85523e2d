"""DispatchersProjection: dispatcher credentials (names and status: no event carries a
secret, so the read model never sees one)."""

from __future__ import annotations

from psycopg import Cursor, sql

from domain.infra.dispatcher_credential import DispatcherCredential
from projections.dispatchers import tables
from projections.engine.dispatch import EventDispatch
from projections.engine.log import LogBatch

ISSUED, REVOKED = "issued", "revoked"


def _target(cls: type) -> str | None:
    if issubclass(cls, DispatcherCredential.Issued):  # type: ignore[attr-defined]
        return ISSUED
    if issubclass(cls, DispatcherCredential.Revoked):  # type: ignore[attr-defined]
        return REVOKED
    return None


_DISPATCH = EventDispatch(_target)


class DispatchersProjection:
    name = "dispatchers"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        tables.create_tables(cur, schema)

    def apply(self, cur: Cursor, schema: str, batch: LogBatch) -> None:
        table = sql.SQL("{}.dispatcher_credentials").format(sql.Identifier(schema))
        for notification in batch.notifications:
            target = _DISPATCH.of(notification.topic)
            if target is None:
                continue
            event = batch.decode(notification)
            actor = event.meta.get("actor")
            if target is ISSUED:
                cur.execute(
                    sql.SQL(
                        "INSERT INTO {} VALUES (%s,%s,%s,NULL,%s,%s,%s,%s,%s,%s) "
                        "ON CONFLICT DO NOTHING"
                    ).format(table),
                    (
                        event.originator_id,
                        event.dispatcher_name,
                        event.name,
                        event.originator_version,
                        notification.id,
                        event.timestamp,
                        event.timestamp,
                        actor,
                        actor,
                    ),
                )
            else:
                cur.execute(
                    sql.SQL(
                        "UPDATE {} SET revoked_at = %s, version = %s, updated_at = %s, "
                        "updated_by = %s WHERE guid = %s AND version < %s"
                    ).format(table),
                    (
                        event.revoked_at,
                        event.originator_version,
                        event.timestamp,
                        actor,
                        event.originator_id,
                        event.originator_version,
                    ),
                )
