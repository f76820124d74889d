"""The session list query: state, text filter, sort, and keyset or offset pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from sessiond.domain.listing import (
    KeysetCursor,
    ListedPage,
    OffsetPage,
    SessionQuery,
    SessionState,
    SortField,
)
from sessiond.infra.regex import compile_filter, for_database
from sessiond.infra.regex_alphabet import HEX_DIGITS, can_match_within
from sessiond.store.dialect import sortable_text, uuid_hex
from sessiond.store.errors import database_regex_errors
from sessiond.store.repositories.sessions import (
    SessionRepository,
    live_condition,
    state_condition,
)
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


# A filter matching at most this many sessions is cheaper to read through the indexes than to
# meet while walking a tenant's sessions in order (`SessionLister._page_conditions`).
SPARSE_MATCHES = 10_000
_DEVICE_FILTER_FIELDS = ("browser_name", "app_name", "device_type", "app_kind", "os_name")


class member_of(FunctionElement[bool]):
    """`column` is one of the ids `subquery` returns. PostgreSQL gets `= ANY(ARRAY(subquery))`:
    the set is computed once and then looked up in the column's index, which an `IN (subquery)`
    inside an `OR` never is (the planner filters every row through it instead). SQLite gets
    `IN (subquery)`."""

    type = Boolean()
    inherit_cache = True


@compiles(member_of)
def _member_of_default(element: member_of, compiler: SQLCompiler, **kw: Any) -> str:
    column, subquery = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"{column} IN {subquery}"


@compiles(member_of, "postgresql")
def _member_of_postgresql(element: member_of, compiler: SQLCompiler, **kw: Any) -> str:
    column, subquery = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"{column} = ANY(ARRAY{subquery})"


@dataclass(frozen=True, slots=True)
class _TextFilter:
    """One filter written two ways that select the same sessions: `on_rows` over the joined
    session, user and device row (cheap per row, for a page walked in order), `by_index` on
    `sessions` alone through the ids of matching devices and users (served by the trigram and
    foreign-key indexes, for counting every match)."""

    on_rows: ColumnElement[bool]
    by_index: ColumnElement[bool]


def _text_filter(query: SessionQuery, *, dialect: str) -> _TextFilter | None:
    """Matches the browser, app, device type, OS, (when asked) username and name, and the
    session and user ids; the ids only when the filter can match hex digits at all."""
    if not query.text_filter:
        return None
    safe = compile_filter(query.text_filter)
    pattern = for_database(safe, dialect)
    with_ids = can_match_within(safe, HEX_DIGITS)

    def matching(fields: Sequence[Any]) -> ColumnElement[bool]:
        return or_(*[field.regexp_match(pattern) for field in fields])

    def user_fields(table: Any) -> list[Any]:
        named = [table.c.username, table.c.name] if query.filter_user_fields else []
        return named + ([uuid_hex(table.c.id)] if with_ids else [])

    device = devices.alias("filter_devices")
    device_ids = select(device.c.id).where(
        device.c.tenant_id == query.tenant_id,
        matching([device.c[name] for name in _DEVICE_FILTER_FIELDS]),
    )
    by_index: list[ColumnElement[bool]] = [
        member_of(sessions.c.device_id, device_ids.scalar_subquery())
    ]
    on_rows = [devices.c[name] for name in _DEVICE_FILTER_FIELDS] + user_fields(users)
    if with_ids:
        on_rows.append(uuid_hex(sessions.c.id))
    user = users.alias("filter_users")
    if fields := user_fields(user):
        user_ids = select(user.c.id).where(user.c.tenant_id == query.tenant_id, matching(fields))
        by_index.append(member_of(sessions.c.user_id, user_ids.scalar_subquery()))
    if with_ids:
        by_index.append(uuid_hex(sessions.c.id).regexp_match(pattern))
    return _TextFilter(on_rows=matching(on_rows), by_index=or_(*by_index))


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
        self._conn = conn
        self._repo = SessionRepository(conn)
        self._dialect = conn.dialect.name

    def _scope(self, query: SessionQuery) -> list[ColumnElement[bool]]:
        """Conditions on `sessions` alone: the tenant, the user, the session left out."""
        conditions = [sessions.c.tenant_id == query.tenant_id]
        if query.user_id is not None:
            conditions.append(sessions.c.user_id == query.user_id)
        if query.exclude_session_id is not None:
            conditions.append(sessions.c.id != query.exclude_session_id)
        return conditions

    def _conditions(
        self,
        query: SessionQuery,
        text: _TextFilter | None,
        *,
        now: datetime,
        idle_cutoff: datetime | None,
    ) -> list[ColumnElement[bool]]:
        conditions = [
            *self._scope(query),
            state_condition(query.state, now=now, idle_cutoff=idle_cutoff),
        ]
        if text is not None:
            conditions.append(text.on_rows)
        return conditions

    async def _page_conditions(
        self,
        query: SessionQuery,
        text: _TextFilter | None,
        *,
        total: int,
        now: datetime,
        idle_cutoff: datetime | None,
    ) -> list[ColumnElement[bool]]:
        """A filter that matched many of a tenant's sessions is checked row by row while the
        page is walked in order, which meets a match soon. One that matched few would send
        that walk through most of the tenant, so its matches are first read through the
        indexes, and the page is made of those."""
        if text is None or query.user_id is not None or total > SPARSE_MATCHES:
            return self._conditions(query, text, now=now, idle_cutoff=idle_cutoff)
        scope = [
            *self._scope(query),
            state_condition(query.state, now=now, idle_cutoff=idle_cutoff),
        ]
        matches = (
            select(sessions.c.id)
            .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
            .where(*scope, text.by_index)
        )
        ids = list((await self._conn.execute(matches)).scalars())
        return [*scope, sessions.c.id.in_(ids)]

    async def _count(
        self,
        query: SessionQuery,
        text: _TextFilter | None,
        *,
        now: datetime,
        idle_cutoff: datetime | None,
    ) -> int:
        """The exact number of sessions the query selects, read from indexes.

        One user's sessions are few: they are counted as listed, through `(user_id, ...)`.
        Across a tenant, every session is counted from `(tenant_id, created_at, id)` alone, the
        live ones from the partial `ix_sessions_tenant_live` joined to their users' state, the
        ended ones as the difference of those two in one statement (liveness is never NULL, so
        "ended" is exactly "not live"), and a text filter through the ids of matching devices
        and users rather than row by row.
        """
        if query.user_id is not None:
            return await self._repo.count(
                *self._conditions(query, text, now=now, idle_cutoff=idle_cutoff)
            )
        scope = self._scope(query)
        if text is not None:
            scope.append(text.by_index)
            if self._dialect == "postgresql":
                # A prepared statement run often enough gets a generic plan, made without the
                # pattern, which cannot tell what the trigram indexes would find: plan each
                # filtered query for its own pattern, for the rest of this read.
                await self._conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        every = select(func.count()).select_from(sessions).where(*scope)
        live = (
            select(func.count())
            .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
            .where(*scope, live_condition(now=now, idle_cutoff=idle_cutoff))
        )
        counted = {
            SessionState.ALL: every,
            SessionState.LIVE: live,
            SessionState.ENDED: select(every.scalar_subquery() - live.scalar_subquery()),
        }[query.state]
        total: int = (await self._conn.execute(counted)).scalar_one()
        return total

    async def offset_page(
        self, query: SessionQuery, page: OffsetPage, *, now: datetime, idle_cutoff: datetime | None
    ) -> ListedPage:
        text = _text_filter(query, dialect=self._dialect)
        order = [
            _SORT_COLUMNS[k.field].desc() if k.descending else _SORT_COLUMNS[k.field].asc()
            for k in query.sort
        ]
        order += [sessions.c.created_at.desc(), sessions.c.id.desc()]
        async with database_regex_errors():
            total = await self._count(query, text, now=now, idle_cutoff=idle_cutoff)
            conditions = await self._page_conditions(
                query, text, total=total, now=now, idle_cutoff=idle_cutoff
            )
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
        text = _text_filter(query, dialect=self._dialect)
        backwards = cursor is not None and cursor.backwards
        scan_descending = descending != backwards
        keyset = [] if cursor is None else [_keyset_condition(cursor, descending=descending)]
        order: Sequence[Any] = (
            [sessions.c.created_at.desc(), sessions.c.id.desc()]
            if scan_descending
            else [sessions.c.created_at.asc(), sessions.c.id.asc()]
        )
        async with database_regex_errors():
            total = await self._count(query, text, now=now, idle_cutoff=idle_cutoff)
            conditions = await self._page_conditions(
                query, text, total=total, now=now, idle_cutoff=idle_cutoff
            )
            records = await self._repo.fetch_records(
                and_(*conditions, *keyset), order=order, limit=size + 1
            )
        has_more = len(records) > size
        records = records[:size]
        if backwards:
            records.reverse()
        return ListedPage(records, total, has_more)
