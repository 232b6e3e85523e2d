"""Many aggregates brought up to date in one query (the domain's `EventStore.prefetch`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg.sql import SQL, Identifier


def batch_reader_for(recorder: Any):  # -> BatchReader | None
    if not isinstance(recorder, PostgresAggregateRecorder):
        return None
    # LATERAL keeps an index lookup per id: with a plain join the prepared statement's
    # generic plan hashes the array and scans the whole events table.
    statement = SQL(
        "SELECT e.originator_id, e.originator_version, e.topic, e.state "
        "FROM unnest(string_to_array(%s, ',')::uuid[], string_to_array(%s, ',')::int8[])"
        " WITH ORDINALITY AS k(id, known, n) "
        "CROSS JOIN LATERAL (SELECT s.originator_id, s.originator_version, s.topic, s.state "
        " FROM {schema}.{table} s WHERE s.originator_id = k.id AND s.originator_version > k.known"
        " ORDER BY s.originator_version) e "
        "ORDER BY k.n, e.originator_version"
    ).format(
        schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
    )
    # Rendered once: a Composed statement is rendered again on every execute.
    statement = statement.as_bytes(None)

    def read(known: Sequence[tuple[UUID, int]]) -> list[StoredEvent]:
        # Two comma-separated strings, not two lists: psycopg adapts a list element by
        # element after scanning it for a type, which cost more than the query itself.
        ids = ",".join([str(i) for i, _ in known])
        versions = ",".join([str(v) for _, v in known])
        with recorder.datastore.get_connection() as conn, conn.cursor() as cur:
            cur.execute(statement, (ids, versions), prepare=True)
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in cur.fetchall()
            ]

    return read
