"""The session list query: state, text filter, sort, and keyset or offset pages."""

from __future__ import annotations

import functools
import operator
import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    and_,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from sessiond.domain.device import country_of
from sessiond.domain.errors import InvalidPageToken
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
from sessiond.store.dialect import planned_for_each_run, sortable_text, uuid_hex
from sessiond.store.errors import database_regex_errors
from sessiond.store.repositories.device_profiles import PROFILE_FIELDS, DeviceProfileRepository
from sessiond.store.repositories.sessions import (
    SessionRepository,
    live_condition,
    state_condition,
)
from sessiond.store.tables import device_profiles, devices, sessions, users

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
    SortField.IP: sortable_text(devices.c.ip),
    SortField.LOCATION: sortable_text(devices.c.location),
    SortField.ENDS_AT: func.coalesce(sessions.c.ended_at, sessions.c.expires_at),
}


# A filter matching at most this many sessions is cheaper to read through the indexes than to
# meet while walking a tenant's sessions in order (`SessionLister._page_conditions`).
SPARSE_MATCHES = 10_000


class member_of(FunctionElement[bool]):
    """`column` is one of the ids `subquery` returns. PostgreSQL gets `= ANY(ARRAY(subquery))`:
    the set is computed once and then looked up in the column's index, which an `IN (subquery)`
    inside an `OR` never is (the planner filters every row through it instead). SQLite gets
    `IN (subquery)`."""

    type = Boolean()
    inherit_cache = True
    # A truth value as it stands: SQLite is not given `(... IN ...) = 1`, which no index serves.
    _is_implicitly_boolean = True


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
    session and user row (cheap per row, for a page walked in order), and `parts`, conditions
    on `sessions` alone that no session meets twice and whose union is the filter, each served
    by an index (for counting every match a part at a time, and for reading few matches)."""

    on_rows: ColumnElement[bool]
    parts: tuple[ColumnElement[bool], ...]

    @property
    def by_index(self) -> ColumnElement[bool]:
        return or_(*self.parts)


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A filter as the database runs it, and whether it can match an id (hex digits) at all."""

    text: str
    with_ids: bool

    def matches_any(self, fields: Sequence[Any]) -> ColumnElement[bool]:
        return or_(*[field.regexp_match(self.text) for field in fields])


def _matching_profiles(query: SessionQuery, pattern: _Pattern) -> Select[Any]:
    """The tenant's device profiles the filter matches: a few dozen rows, read whole."""
    return select(device_profiles.c.id).where(
        device_profiles.c.tenant_id == query.tenant_id,
        pattern.matches_any([device_profiles.c[name] for name in PROFILE_FIELDS]),
    )


def _text_filter(
    query: SessionQuery, pattern: _Pattern, profile_ids: Sequence[uuid.UUID]
) -> _TextFilter:
    """Matches the browser, app, device type and OS (the session's device profile is one of
    `profile_ids`), when asked the username and name, and the session and user ids when the
    filter can match hex digits at all.

    The profiles are given as values, not as a subquery, so that the planner knows how many
    sessions each has (they are few, and each is in its statistics' most common values)."""

    def user_fields(table: Any) -> list[Any]:
        named = [table.c.username, table.c.name] if query.filter_user_fields else []
        return named + ([uuid_hex(table.c.id)] if pattern.with_ids else [])

    by_profile = sessions.c.device_profile_id.in_(profile_ids)
    row_fields = user_fields(users) + ([uuid_hex(sessions.c.id)] if pattern.with_ids else [])
    on_rows = or_(by_profile, pattern.matches_any(row_fields)) if row_fields else by_profile
    user = users.alias("filter_users")
    if not (fields := user_fields(user)):
        return _TextFilter(on_rows=on_rows, parts=(by_profile,))
    user_ids = select(user.c.id).where(
        user.c.tenant_id == query.tenant_id, pattern.matches_any(fields)
    )
    by_user = member_of(sessions.c.user_id, user_ids.scalar_subquery())
    if pattern.with_ids:
        # Session ids are in no index: the whole tenant is read anyway, in one pass.
        by_id = uuid_hex(sessions.c.id).regexp_match(pattern.text)
        return _TextFilter(on_rows=on_rows, parts=(or_(by_profile, by_user, by_id),))
    other_profile = or_(
        sessions.c.device_profile_id.is_(None), sessions.c.device_profile_id.not_in(profile_ids)
    )
    return _TextFilter(on_rows=on_rows, parts=(by_profile, and_(by_user, other_profile)))


def _sum_of_counts(
    source: FromClause, per_part: Sequence[Sequence[ColumnElement[bool]]]
) -> ColumnElement[int]:
    """The rows of `source` meeting each list of conditions, counted separately and added."""
    counts = [
        select(func.count()).select_from(source).where(*conditions).scalar_subquery()
        for conditions in per_part
    ]
    return functools.reduce(operator.add, counts)


def _keyset_condition(
    cursor: KeysetCursor, *, descending: bool, lead: Any | None
) -> ColumnElement[bool]:
    """Rows past the cursor: by `lead` (the first sort key, unless it is `created_at`), then
    `created_at, id`."""
    toward_older = descending != cursor.backwards
    if cursor.id is None:
        column = sessions.c.created_at
        return column < cursor.created_at if toward_older else column > cursor.created_at
    columns: list[Any] = [sessions.c.created_at, sessions.c.id]
    values: list[Any] = [cursor.created_at, cursor.id]
    if lead is not None:
        if cursor.lead is None:
            raise InvalidPageToken()
        columns.insert(0, lead)
        values.insert(0, literal(cursor.lead, lead.type))
    key, bound = tuple_(*columns), tuple_(*values)
    return key < bound if toward_older else key > bound


@dataclass(frozen=True, slots=True)
class _DeviceMatch:
    """A device filter's profiles and places, read from the tenant's few of each (None: any)."""

    profile_ids: list[uuid.UUID] | None = None
    locations: list[str] | None = None


def _device_scope(
    query: SessionQuery, match: _DeviceMatch, *, counting: bool
) -> list[ColumnElement[bool]]:
    """Conditions on `sessions` alone for the query's device filter: the profiles it admits
    (`ix_sessions_device_profile`), and the devices of that address or country (found through
    `ix_devices_tenant_ip` or `ix_devices_tenant_location`, then their sessions through
    `ix_sessions_device`). A country's devices are many: a page walked in order meets them
    through a semi-join hashed once, a count looks each one's sessions up."""
    conditions: list[ColumnElement[bool]] = []
    if match.profile_ids is not None:
        conditions.append(sessions.c.device_profile_id.in_(match.profile_ids))
    tenant = devices.c.tenant_id == query.tenant_id
    if query.device.ip:
        found = select(devices.c.id).where(tenant, devices.c.ip == query.device.ip)
        conditions.append(member_of(sessions.c.device_id, found.scalar_subquery()))
    if match.locations is not None:
        found = select(devices.c.id).where(tenant, devices.c.location.in_(match.locations))
        looked_up = member_of(sessions.c.device_id, found.scalar_subquery())
        conditions.append(looked_up if counting else sessions.c.device_id.in_(found))
    return conditions


async def _distinct_locations(conn: AsyncConnection, tenant_id: uuid.UUID) -> list[str]:
    """The tenant's recorded locations, a few dozen among millions of devices: one probe of
    `ix_devices_tenant_location` per location (a loose index scan, which neither backend makes
    of a plain DISTINCT)."""
    first = select(func.min(devices.c.location)).where(devices.c.tenant_id == tenant_id)
    places = first.cte("places", recursive=True)
    after = (
        select(func.min(devices.c.location))
        .where(devices.c.tenant_id == tenant_id, devices.c.location > places.c[0])
        .scalar_subquery()
    )
    places = places.union_all(select(after).where(places.c[0].is_not(None)))
    query = select(places.c[0]).where(places.c[0].is_not(None))
    return list((await conn.execute(query)).scalars())


class SessionLister:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._repo = SessionRepository(conn)
        self._dialect = conn.dialect.name
        self._device = _DeviceMatch()

    def _planned(self, query: SessionQuery) -> AbstractAsyncContextManager[None]:
        """A filtered read is planned for its own pattern and profiles: a generic plan, made
        without them, cannot tell how many sessions match or what the trigram index finds."""
        return nullcontext() if not query.text_filter else planned_for_each_run(self._conn)

    async def _text_filter(self, query: SessionQuery) -> _TextFilter | None:
        if not query.text_filter:
            return None
        safe = compile_filter(query.text_filter)
        pattern = _Pattern(
            for_database(safe, self._dialect), with_ids=can_match_within(safe, HEX_DIGITS)
        )
        profiles = await self._conn.execute(_matching_profiles(query, pattern))
        return _text_filter(query, pattern, list(profiles.scalars()))

    def _scope(self, query: SessionQuery, *, counting: bool = False) -> list[ColumnElement[bool]]:
        """Conditions on `sessions` alone: the tenant, the user, the session left out, and the
        device filter (its profiles and places read by `_read_device_match` first)."""
        conditions = [sessions.c.tenant_id == query.tenant_id]
        if query.user_id is not None:
            conditions.append(sessions.c.user_id == query.user_id)
        if query.exclude_session_id is not None:
            conditions.append(sessions.c.id != query.exclude_session_id)
        return conditions + _device_scope(query, self._device, counting=counting)

    async def _read_device_match(self, query: SessionQuery) -> None:
        """The tenant's device profiles and places the device filter admits."""
        wanted = query.device
        profile_ids = locations = None
        if wanted.by_profile:
            profiles = await DeviceProfileRepository(self._conn).of_tenant(query.tenant_id)
            profile_ids = [
                profile.id
                for profile in profiles
                if wanted.admits_profile(
                    browser=profile.browser, os=profile.os_name, kind=profile.kind
                )
            ]
        if wanted.country:
            places = await _distinct_locations(self._conn, query.tenant_id)
            locations = [place for place in places if country_of(place) == wanted.country]
        self._device = _DeviceMatch(profile_ids, locations)

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
        "ended" is exactly "not live"). A text filter is counted a part at a time (its parts
        select no session twice): the sessions of matching device profiles from
        `ix_sessions_device_profile` alone, those of matching users not already counted through
        `(user_id, ...)`.
        """
        if query.user_id is not None:
            return await self._repo.count(
                *self._conditions(query, text, now=now, idle_cutoff=idle_cutoff)
            )
        scope = self._scope(query, counting=True)
        parts: Sequence[ColumnElement[bool]] = [true()] if text is None else text.parts
        live = live_condition(now=now, idle_cutoff=idle_cutoff)
        with_users = sessions.join(users, users.c.id == sessions.c.user_id)
        every = _sum_of_counts(sessions, [[*scope, part] for part in parts])
        live_ones = _sum_of_counts(with_users, [[*scope, part, live] for part in parts])
        counted = {
            SessionState.ALL: every,
            SessionState.LIVE: live_ones,
            SessionState.ENDED: every - live_ones,
        }[query.state]
        total: int = (await self._conn.execute(select(counted))).scalar_one()
        return total

    async def offset_page(
        self, query: SessionQuery, page: OffsetPage, *, now: datetime, idle_cutoff: datetime | None
    ) -> ListedPage:
        order = [
            _SORT_COLUMNS[k.field].desc() if k.descending else _SORT_COLUMNS[k.field].asc()
            for k in query.sort
        ]
        order += [sessions.c.created_at.desc(), sessions.c.id.desc()]
        async with database_regex_errors(), self._planned(query):
            await self._read_device_match(query)
            text = await self._text_filter(query)
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
        count: bool = True,
    ) -> ListedPage:
        """One page in the order of the query's one sort key, then `created_at, id`, all in the
        key's direction; without `count`, the total is counted only when a text filter needs it."""
        first = query.sort[0]
        lead = None if first.field is SortField.CREATED_AT else _SORT_COLUMNS[first.field]
        backwards = cursor is not None and cursor.backwards
        scan_descending = first.descending != backwards
        keyset = (
            []
            if cursor is None
            else [_keyset_condition(cursor, descending=first.descending, lead=lead)]
        )
        columns = [sessions.c.created_at, sessions.c.id]
        if lead is not None:
            columns.insert(0, lead)
        order = [c.desc() if scan_descending else c.asc() for c in columns]
        async with database_regex_errors(), self._planned(query):
            await self._read_device_match(query)
            text = await self._text_filter(query)
            # A text filter's count decides how its page is read (`_page_conditions`).
            counted = count or text is not None
            total = (
                await self._count(query, text, now=now, idle_cutoff=idle_cutoff) if counted else 0
            )
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
        return ListedPage(records, total, has_more, counted)
