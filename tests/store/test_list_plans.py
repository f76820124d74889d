"""Every list and count a door asks for is one an index serves (PostgreSQL).

Each door's list runs through the services on seeded data, while the SQL it issues is recorded;
each recorded query on `sessions` is then planned with sequential scans priced out
(`enable_seqscan = off`). That setting only adds a prohibitive cost, so the planner still picks a
sequential scan when no index can serve the query: a plan with no `Seq Scan` on `sessions` shows
an index can serve it, at any table size, which a table small enough for CI could not show by
itself (there a scan is often cheapest anyway). Any index on `tenant_id` would pass that check,
so the counts that used to read a whole tenant are also checked to use the indexes made for
them (`COUNTED_BY`), and the counts of filters matching many sessions through their devices to
be read from `ix_sessions_device_profile` alone, never from the table (`BROAD_FILTERS`).

A filter that can match hex digits ("c0ffee") also compares session ids, which no index covers;
such filters are left out here (docs/architecture.md, "Listing and pagination").
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event

from sessiond.compose import open_services
from sessiond.domain.listing import (
    OffsetPage,
    SessionQuery,
    SessionState,
    SortField,
    SortKey,
)
from sessiond.services.container import Services
from sessiond.services.seeding import Seeder, SeedPlan
from sessiond.settings import Settings
from sessiond.store.repositories import listing
from tests.helpers.plans import (
    Case,
    index_names,
    recorded_queries,
    scans_of_sessions,
    seq_scans_on_sessions,
)
from tests.helpers.tenants import unique_slug


def door_lists(services: Services, tenant: uuid.UUID, user: uuid.UUID) -> list[Case]:
    sessions = services.sessions
    mine = SessionQuery(tenant_id=tenant, user_id=user)

    async def walk(query: SessionQuery, size: int) -> None:
        first = await sessions.list_keyset(query, size=size)
        await sessions.list_keyset(query, size=size, token=first.next_token)

    async def after_cursor() -> None:
        first = await sessions.list_keyset(SessionQuery(tenant_id=tenant), size=5)
        cursor = first.items[-1].session.created_at
        await sessions.list_keyset(SessionQuery(tenant_id=tenant), size=5, start_after=cursor)

    def offset(query: SessionQuery) -> Callable[[], Awaitable[Any]]:
        return lambda: sessions.list_offset(query, OffsetPage(limit=50))

    def rocketchat(text: str | None, **changes: Any) -> SessionQuery:
        return SessionQuery(tenant_id=tenant, text_filter=text, filter_user_fields=True, **changes)

    cases: list[Case] = [
        ("pxyz tenant sessions", lambda: walk(SessionQuery(tenant_id=tenant), 50)),
        ("pxyz tenant sessions, bare cursor", after_cursor),
        ("pxyz user sessions", lambda: walk(mine, 50)),
        ("kratos my other sessions", offset(SessionQuery(tenant_id=tenant, user_id=user))),
        (
            "rocketchat sessions/list",
            offset(SessionQuery(tenant_id=tenant, user_id=user, text_filter="chrome")),
        ),
        ("rocketchat sessions/list.all", offset(rocketchat(None))),
        (
            "rocketchat sessions/list.all by device name",
            offset(rocketchat(None, sort=(SortKey(SortField.BROWSER),))),
        ),
    ]
    for state in SessionState:
        cases += [
            (
                f"kratos admin sessions, {state}",
                lambda s=state: walk(SessionQuery(tenant_id=tenant, state=s), 250),
            ),
            (
                f"kratos identity sessions, {state}",
                offset(SessionQuery(tenant_id=tenant, user_id=user, state=state)),
            ),
        ]
    for text in ("firefox", "iPhone|Android", "nakamura", "^Chrome$"):
        cases.append((f"rocketchat sessions/list.all filter {text!r}", offset(rocketchat(text))))
    return cases


# The counts that used to read every session of a tenant, and the indexes that now serve them.
COUNTED_BY = {
    "pxyz tenant sessions": {"ix_sessions_tenant_live"},
    "kratos admin sessions, live": {"ix_sessions_tenant_live"},
    "rocketchat sessions/list.all": {"ix_sessions_tenant_live"},
    "rocketchat sessions/list.all filter 'firefox'": {"ix_sessions_device_profile"},
    "rocketchat sessions/list.all filter 'iPhone|Android'": {"ix_sessions_device_profile"},
    "rocketchat sessions/list.all filter '^Chrome$'": {"ix_sessions_device_profile"},
}
INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}
# Filters that match many sessions through their devices: those are counted from
# `ix_sessions_device_profile` alone, never from the table (docs/architecture.md).
BROAD_FILTERS = ("firefox", "iPhone|Android", "^Chrome$")


@pytest.mark.parametrize("sparse_matches", [listing.SPARSE_MATCHES, 10])
async def test_every_door_list_and_count_is_served_by_an_index(
    postgres_url: str, sparse_matches: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With 10, the filters here match "many" sessions and take the row-by-row page walk.
    monkeypatch.setattr(listing, "SPARSE_MATCHES", sparse_matches)
    settings = Settings(
        database_url=postgres_url, password_time_cost=1, password_memory_cost=1024, db_pool_size=2
    )
    services = await open_services(settings)
    try:
        seeded = await Seeder(deps=services.deps, tenants=services.tenants).seed(
            unique_slug("plans"), SeedPlan(users=40, sessions=3000, ended_fraction=0.2)
        )
        users, _ = await services.users.list_offset(seeded.tenant.id, offset=0, limit=1)
        cases = door_lists(services, seeded.tenant.id, users[0].id)
        recorded = await recorded_queries(services, cases)
    finally:
        await services.close()

    assert {name for name, _, _ in recorded} == {name for name, _ in cases}
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("SET enable_seqscan = off")
        plans = [
            (
                name,
                statement,
                json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {statement}", *params)),
            )
            for name, statement, params in recorded
        ]
    finally:
        await conn.close()
    assert [
        (name, statement) for name, statement, plan in plans if seq_scans_on_sessions(plan)
    ] == []
    for name, wanted in COUNTED_BY.items():
        counts = [plan for case, statement, plan in plans if case == name and "count(" in statement]
        assert counts, name
        assert all(wanted <= index_names(plan) for plan in counts), (
            name,
            [index_names(plan) for plan in counts],
        )
    for text in BROAD_FILTERS:
        name = f"rocketchat sessions/list.all filter {text!r}"
        counts = [plan for case, statement, plan in plans if case == name and "count(" in statement]
        pages = [plan for case, statement, plan in plans if case == name and "LIMIT" in statement]
        assert counts, name
        assert pages, name
        for plan in counts:
            scans = scans_of_sessions(plan)
            assert ("Index Only Scan", "ix_sessions_device_profile") in scans, (name, scans)
            assert not any(
                index == "ix_sessions_device_profile" and node != "Index Only Scan"
                for node, index in scans
            ), (name, scans)
        for plan in pages:  # through an index of `sessions` (and no sequential scan, above)
            assert {node for node, _ in scans_of_sessions(plan)} & INDEX_SCANS, (name, plan)


async def test_a_filtered_read_is_planned_for_its_values_then_resets_its_connection(
    postgres_url: str,
) -> None:
    """A generic plan, which PostgreSQL adopts for a statement run often, is made without the
    filter's pattern and profiles; the setting that forbids it must not outlive the read."""
    settings = Settings(
        database_url=postgres_url, password_time_cost=1, password_memory_cost=1024, db_pool_size=1
    )
    services = await open_services(settings)
    try:
        tenant = (await services.tenants.create(slug=unique_slug("plans"))).tenant
        query = SessionQuery(tenant_id=tenant.id, text_filter="firefox", filter_user_fields=True)
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(statement.split()[0].upper())

        engine = services.deps.store.engine
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            await services.sessions.list_offset(query, OffsetPage(limit=50))
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)
        async with engine.connect() as conn:  # the pool's one connection, which the read used
            setting = (await conn.exec_driver_sql("SHOW plan_cache_mode")).scalar_one()
    finally:
        await services.close()

    reads = statements[statements.index("SET") + 1 : statements.index("RESET")]
    assert reads.count("SELECT") >= 3  # the profiles, the count and the page
    assert setting == "auto"
