"""`Seeder` (what `sessiond seed` runs) on every backend: the rows it writes are the ones every
door lists and renders."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sessiond.api.rocketchat.render import session_item
from sessiond.domain.errors import InvalidInput
from sessiond.domain.ids import render_pxyz
from sessiond.domain.listing import OffsetPage, SessionQuery, SessionState, SortField, SortKey
from sessiond.services.container import Services
from sessiond.services.seed_data import AGENTS
from sessiond.services.seeding import Seeder, SeedPlan, SeedResult
from sessiond.settings import Settings
from tests.helpers.asgi import app_client
from tests.helpers.tenants import unique_slug

PASSWORD = "seeded password 1"
PLAN = SeedPlan(users=12, sessions=240, ended_fraction=0.25, random_seed=7, password=PASSWORD)


async def seed(services: Services, slug: str, plan: SeedPlan = PLAN) -> SeedResult:
    return await Seeder(deps=services.deps, tenants=services.tenants).seed(slug, plan)


async def total(services: Services, query: SessionQuery) -> int:
    return (await services.sessions.list_offset(query, OffsetPage(limit=1))).total


async def test_seed_writes_the_users_and_sessions_asked_for(services: Services) -> None:
    result = await seed(services, unique_slug("seed"))
    tenant = result.tenant

    assert (result.users, result.sessions, result.expired) == (12, 240, 0)
    assert 30 <= result.ended <= 90
    users, user_total = await services.users.list_offset(tenant.id, offset=0, limit=100)
    assert user_total == 12
    assert all(
        u.username and u.primary_email and u.primary_email.startswith(u.username) for u in users
    )
    everyone = SessionQuery(tenant_id=tenant.id, state=SessionState.ALL)
    assert await total(services, everyone) == 240
    assert await total(services, replace(everyone, state=SessionState.ENDED)) == result.ended
    assert await total(services, replace(everyone, state=SessionState.LIVE)) == 240 - result.ended


async def test_seeded_devices_are_parsed_and_varied(services: Services) -> None:
    result = await seed(services, unique_slug("seed"))
    query = SessionQuery(tenant_id=result.tenant.id, state=SessionState.ALL)
    page = await services.sessions.list_offset(query, OffsetPage(limit=240))

    agents = {raw for _, raw in AGENTS}
    parse = services.deps.agents.parse
    for record in page.items:
        assert record.device is not None
        assert record.device.agent == parse(record.device.agent.raw)
        assert record.device.agent.raw in agents
        assert record.device.ip
    assert len({r.device.agent.browser_name for r in page.items if r.device}) >= 5
    ended = [r.session for r in page.items if r.session.ended_at is not None]
    assert ended
    assert all(s.end_reason is not None and s.ended_by for s in ended)
    assert all(s.created_at <= s.ended_at <= services.deps.clock.now() for s in ended)  # type: ignore[operator]


async def test_seeding_again_adds_users_after_the_first_ones(services: Services) -> None:
    slug = unique_slug("seed")
    first = await seed(services, slug)
    again = await seed(services, slug, replace(PLAN, users=3, sessions=10))

    assert again.tenant.id == first.tenant.id
    assert again.secret_key is None
    _, user_total = await services.users.list_offset(first.tenant.id, offset=0, limit=1)
    assert user_total == 15


async def test_the_random_seed_decides_the_choices(services: Services) -> None:
    names = []
    for _ in range(2):
        result = await seed(services, unique_slug("seed"), replace(PLAN, sessions=0))
        users, _ = await services.users.list_offset(result.tenant.id, offset=0, limit=100)
        names.append(sorted(u.username or "" for u in users))
    assert names[0] == names[1]


def test_a_plan_with_sessions_needs_users() -> None:
    with pytest.raises(InvalidInput, match="sessions need users"):
        SeedPlan(users=0, sessions=5)
    with pytest.raises(InvalidInput, match="ended fraction"):
        SeedPlan(users=1, sessions=5, ended_fraction=1.5)


async def test_every_door_lists_seeded_sessions(settings: Settings, services: Services) -> None:
    result = await seed(services, unique_slug("seed"))
    tenant, key = result.tenant, result.secret_key
    users, _ = await services.users.list_offset(tenant.id, offset=0, limit=1)
    scoped = replace(settings, kratos_tenant=tenant.slug, rocketchat_tenant=tenant.slug)
    admin = {"Authorization": f"Bearer {key}"}

    async with app_client(scoped, services) as http:
        pxyz = await http.get(
            f"/api/v0/tenants/{render_pxyz(tenant.id)}/auth/sessions",
            params={"perPage": 20},
            headers=admin,
        )
        kratos = await http.get(
            "/admin/sessions", params={"page_size": 20, "expand": "devices"}, headers=admin
        )
        identity = await http.get(f"/admin/identities/{users[0].id}/sessions", headers=admin)
        login = await http.post(
            "/api/v1/login", json={"username": users[0].username, "password": PASSWORD}
        )
        data = login.json()["data"]
        rocketchat = await http.get(
            "/api/v1/sessions/list",
            headers={"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]},
        )

    assert pxyz.status_code == 200, pxyz.text
    assert len(pxyz.json()["data"]) == 20
    assert kratos.status_code == 200, kratos.text
    assert len(kratos.json()) == 20
    assert all(s["devices"][0]["user_agent"] for s in kratos.json())
    assert identity.status_code == 200, identity.text
    assert int(identity.headers["x-total-count"]) == len(identity.json())
    assert rocketchat.status_code == 200, rocketchat.text
    assert rocketchat.json()["total"] >= 1

    every = SessionQuery(
        tenant_id=tenant.id,
        filter_user_fields=True,
        sort=(SortKey(SortField.BROWSER, descending=False),),
    )
    listed = await services.sessions.list_offset(every, OffsetPage(limit=50))
    assert [session_item(r, current=None, with_user=True) for r in listed.items]
