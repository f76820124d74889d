"""The console's sessions table is served by indexes (PostgreSQL): its first page, a filtered
page and a sort by last activity, each walked to a second page through its token, planned with
sequential scans priced out as `tests/store/test_list_plans.py` does for the doors."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from sessiond.compose import open_services
from sessiond.domain.listing import SessionQuery
from sessiond.services.container import Services
from sessiond.services.seeding import Seeder, SeedPlan
from sessiond.settings import Settings
from sessiond.web.admin_filters import ListFilter
from tests.helpers.plans import Case, index_names, recorded_queries, seq_scans_on_sessions
from tests.helpers.tenants import unique_slug

# The indexes that may serve each case's page (the planner picks by the data: a filter by
# browser walks creation order, or reads the matching profiles' sessions and sorts them).
PAGED_BY = {
    "first page": {"ix_sessions_tenant_created"},
    "by browser": {"ix_sessions_tenant_created", "ix_sessions_device_profile"},
    "by address": {"ix_devices_tenant_ip"},
    "by country": {"ix_devices_tenant_location"},
    "by last activity": {"ix_sessions_tenant_last_active"},
}


def console_lists(services: Services, tenant_id: Any, ip: str) -> list[Case]:
    async def walk(wanted: ListFilter) -> None:
        query: SessionQuery = wanted.query(tenant_id, user_id=None)
        first = await services.sessions.list_keyset(query, size=50)
        await services.sessions.list_keyset(query, size=50, token=first.next_token)

    return [
        ("first page", lambda: walk(ListFilter())),
        ("by browser", lambda: walk(ListFilter(browser="Firefox"))),
        ("by address", lambda: walk(ListFilter(ip=ip))),
        ("by country", lambda: walk(ListFilter(country="DE"))),
        ("by last activity", lambda: walk(ListFilter(sort="last_active"))),
    ]


async def test_the_console_table_is_served_by_indexes(postgres_url: str) -> None:
    settings = Settings(
        database_url=postgres_url, password_time_cost=1, password_memory_cost=1024, db_pool_size=2
    )
    services = await open_services(settings)
    try:
        seeded = await Seeder(deps=services.deps, tenants=services.tenants).seed(
            unique_slug("console"), SeedPlan(users=40, sessions=3000, ended_fraction=0.2)
        )
        tenant_id = seeded.tenant.id
        some = await services.sessions.list_keyset(SessionQuery(tenant_id), size=1)
        device = some.items[0].device
        assert device is not None
        assert device.ip is not None
        cases = console_lists(services, tenant_id, device.ip)
        recorded = await recorded_queries(services, cases)
    finally:
        await services.close()

    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("SET enable_seqscan = off")
        plans = [
            (name, sql, json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)))
            for name, sql, args in recorded
        ]
    finally:
        await conn.close()
    assert [(name, s) for name, s, plan in plans if seq_scans_on_sessions(plan)] == []
    for name, indexes in PAGED_BY.items():
        pages = [plan for case, s, plan in plans if case == name and "LIMIT" in s]
        assert len(pages) == 2, name
        assert all(indexes & index_names(plan) for plan in pages), (
            name,
            [index_names(plan) for plan in pages],
        )
