"""The session list query: state, text filter, sort, and keyset or offset pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.domain.listing import (
    KeysetCursor,
    ListedPage,
    OffsetPage,
    SessionQuery,
    SortField,
)
from sessiond.infra.regex import compile_filter, for_database
from sessiond.store.dialect import sortable_text, uuid_hex
from sessiond.store.errors import database_regex_errors
from sessiond.store.repositories.sessions import SessionRepository, state_condition
from sessiond.store.tables import devices, sessions, users

_SORT_COLUMNS: dict[SortField, Any] = {
    SortField.CREATED_AT: sessions.c.created_at,
    SortField.LAST_ACTIVE_AT: sessions.c.last_active_at,
    SortField.EXPIRES_AT: sessions.c.expires_at,
    SortField.BROWSER: sortable_text(func.coalesce(devices.c.app_name, devices.c.browser_name)),
    SortField.DEVICE_TYPE: sortable_text(func.coalesce(devices.c.app_kind, devices.c.device_type)),
    SortField.OS_NAME: sortable_text(devices.c.os_name),
    SortField.OS_VERSION: sortable_text(devices.c.os_version),
    SortField.USER_NAME: sortable_text(users.c.name),
    SortField.USERNAME: sortable_text(users.c.username),
}


def _filter_condition(query: SessionQuery, *, dialect: str) -> ColumnElement[bool] | None:
    if not query.text_filter:
        return None
    pattern = for_database(compile_filter(query.text_filter), dialect)
    fields: list[Any] = [
        devices.c.browser_name,
        devices.c.app_name,
        devices.c.device_type,
        devices.c.app_kind,
        devices.c.os_name,
        uuid_hex(sessions.c.id),
        uuid_hex(sessions.c.user_id),
    ]
    if query.filter_user_fields:
        fields += [users.c.username, users.c.name]
    return or_(*[field.regexp_match(pattern) for field in fields])


def _keyset_condition(cursor: KeysetCursor, *, descending: bool) -> ColumnElement[bool]:
    toward_older = descending != cursor.backwards
    if cursor.id is None:
        column = sessions.c.created_at
        return column < cursor.created_at if toward_older else column > cursor.created_at
    key = tuple_(sessions.c.created_at, sessions.c.id)
    bound = tuple_(cursor.created_at, cursor.id)
    return key < bound if toward_older else key > bound


class SessionLister:
    def __init__(self, conn: AsyncConnection) -> None:
        self._repo = SessionRepository(conn)
        self._dialect = conn.dialect.name

    def _conditions(
        self, query: SessionQuery, *, now: datetime, idle_cutoff: datetime | None
    ) -> list[ColumnElement[bool]]:
        conditions = [
            sessions.c.tenant_id == query.tenant_id,
            state_condition(query.state, now=now, idle_cutoff=idle_cutoff),
        ]
        if query.user_id is not None:
            conditions.append(sessions.c.user_id == query.user_id)
        if query.exclude_session_id is not None:
            conditions.append(sessions.c.id != query.exclude_session_id)
        text = _filter_condition(query, dialect=self._dialect)
        if text is not None:
            conditions.append(text)
        return conditions

    async def offset_page(
        self, query: SessionQuery, page: OffsetPage, *, now: datetime, idle_cutoff: datetime | None
    ) -> ListedPage:
        conditions = self._conditions(query, now=now, idle_cutoff=idle_cutoff)
        order = [
            _SORT_COLUMNS[k.field].desc() if k.descending else _SORT_COLUMNS[k.field].asc()
            for k in query.sort
        ]
        order += [sessions.c.created_at.desc(), sessions.c.id.desc()]
        async with database_regex_errors():
            total = await self._repo.count(*conditions)
            records = await self._repo.fetch_records(
                *conditions, order=order, offset=page.offset, limit=page.limit
            )
        return ListedPage(records, total, page.offset + len(records) < total)

    async def keyset_page(
        self,
        query: SessionQuery,
        *,
        size: int,
        cursor: KeysetCursor | None,
        now: datetime,
        idle_cutoff: datetime | None,
    ) -> ListedPage:
        """One page in `created_at, id` order; the query's first sort key gives the direction."""
        descending = query.sort[0].descending
        conditions = self._conditions(query, now=now, idle_cutoff=idle_cutoff)
        backwards = cursor is not None and cursor.backwards
        scan_descending = descending != backwards
        keyset = [] if cursor is None else [_keyset_condition(cursor, descending=descending)]
        order: Sequence[Any] = (
            [sessions.c.created_at.desc(), sessions.c.id.desc()]
            if scan_descending
            else [sessions.c.created_at.asc(), sessions.c.id.asc()]
        )
        async with database_regex_errors():
            total = await self._repo.count(*conditions)
            records = await self._repo.fetch_records(
                and_(*conditions, *keyset), order=order, limit=size + 1
            )
        has_more = len(records) > size
        records = records[:size]
        if backwards:
            records.reverse()
        return ListedPage(records, total, has_more)
