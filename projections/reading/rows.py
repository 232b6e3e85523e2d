"""Row reads every read model's views share: a reference by guid or slug, and one page of
rows in creation order (the order pagination is stable in)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql

from projections.reading.paging import Page, next_token


def as_uuid(ref: str) -> UUID | None:
    """A path segment is a guid or a slug."""
    try:
        return UUID(ref)
    except ValueError:
        return None


async def fetch_one(conn: AsyncConnection, query: sql.Composable, params: list) -> dict | None:
    cur = await conn.execute(query, params)
    return await cur.fetchone()  # type: ignore[return-value]


async def fetch_page(
    conn: AsyncConnection, query: sql.Composable, params: list[Any], page: Page
) -> tuple[list[dict], str | None]:
    """`query` ends in `LIMIT %s`: one more row than the page is asked for, to tell whether
    there is a next page."""
    cur = await conn.execute(query, [*params, page.size + 1])
    rows = list(await cur.fetchall())
    return rows, next_token(rows, page)


async def list_rows(
    conn: AsyncConnection,
    schema: str,
    table: str,
    filters: dict[str, Any],
    page: Page,
    show_deleted: bool,
) -> tuple[list[dict], str | None]:
    """A page of a table's rows whose columns equal `filters`, deleted ones on request."""
    where = [sql.SQL("created_position > %s")]
    params: list = [page.after]
    for column, value in filters.items():
        where.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
        params.append(value)
    if not show_deleted:
        where.append(sql.SQL("deleted_at IS NULL"))
    query = sql.SQL("SELECT * FROM {} WHERE {} ORDER BY created_position LIMIT %s").format(
        sql.Identifier(schema, table), sql.SQL(" AND ").join(where)
    )
    return await fetch_page(conn, query, params, page)
