"""Keyset pages over any tenant-scoped table ordered by `created_at, id`, newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Table, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.domain.listing import KeysetCursor


def _past(table: Table, cursor: KeysetCursor) -> ColumnElement[bool]:
    """Rows beyond the cursor in the walk's direction (older going forward, newer going back)."""
    toward_older = not cursor.backwards
    if cursor.id is None:
        column = table.c.created_at
        return column < cursor.created_at if toward_older else column > cursor.created_at
    key = tuple_(table.c.created_at, table.c.id)
    bound = tuple_(cursor.created_at, cursor.id)
    return key < bound if toward_older else key > bound


async def keyset_rows(
    conn: AsyncConnection,
    table: Table,
    conditions: list[ColumnElement[bool]],
    *,
    size: int,
    cursor: KeysetCursor | None,
) -> tuple[list[RowMapping], int, bool]:
    """One page of rows newest first, the total that match `conditions`, and whether more rows
    follow in the direction of the walk."""
    total_query = select(func.count()).select_from(table).where(*conditions)
    total = (await conn.execute(total_query)).scalar_one()
    backwards = cursor is not None and cursor.backwards
    keyset = [] if cursor is None else [_past(table, cursor)]
    order: list[Any] = (
        [table.c.created_at.asc(), table.c.id.asc()]
        if backwards
        else [table.c.created_at.desc(), table.c.id.desc()]
    )
    query = select(table).where(*conditions, *keyset).order_by(*order).limit(size + 1)
    rows = list((await conn.execute(query)).mappings())
    has_more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    return rows, total, has_more
