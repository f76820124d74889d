"""Each session names its device's profile (the parts text filters read, revision 0008), however
it was written: signed in, seeded, or already there when the revision came."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, inspect

from sessiond.compose import open_services
from sessiond.domain.device import UserAgentInfo
from sessiond.domain.listing import OffsetPage, SessionQuery, SessionState
from sessiond.domain.tenant import Tenant
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.seeding import Seeder, SeedPlan
from sessiond.services.sign_in import PasswordSignIn
from sessiond.services.users import NewUser
from sessiond.settings import Settings
from sessiond.store.engine import create_engine
from sessiond.store.migrate import alembic_config
from sessiond.store.repositories.device_profiles import DeviceProfileRepository
from tests.helpers.device_profiles import profile_faults, profiles_per_tenant
from tests.helpers.tenants import unique_slug

PASSWORD = "correct horse battery"
CHROME_113 = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/113.0.0.0 Safari/537.36"
)
CHROME_124 = CHROME_113.replace("113.0.0.0", "124.0.0.0")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
RC_MOBILE = "RC Mobile; iOS 12.2; v3.4.0 (250)"
# Two Chromes on Windows differ only in version: one profile. "" has no parts at all.
AGENTS = (CHROME_113, CHROME_124, FIREFOX, RC_MOBILE, "", FIREFOX)
PROFILES = 4


async def sign_in_with_each_agent(
    services: Services, tenant: Tenant, *, prefix: str = "user"
) -> None:
    for number, user_agent in enumerate(AGENTS):
        username = f"{prefix}{number}"
        await services.users.create(tenant.id, NewUser(username=username, password=PASSWORD))
        await services.sign_ins.password(
            PasswordSignIn(
                tenant.id,
                identifier=username,
                password=PASSWORD,
                client=Client(user_agent=user_agent, ip="203.0.113.7"),
            )
        )


async def filtered_total(services: Services, tenant: Tenant, text: str) -> int:
    query = SessionQuery(tenant.id, state=SessionState.ALL, text_filter=text)
    return (await services.sessions.list_offset(query, OffsetPage(limit=100))).total


async def test_sign_ins_name_one_profile_per_combination_and_tenant(
    services: Services, tenant: Tenant
) -> None:
    other = (await services.tenants.create(slug=unique_slug())).tenant

    await sign_in_with_each_agent(services, tenant)
    await sign_in_with_each_agent(services, other)

    engine = services.deps.store.engine
    assert await profile_faults(engine) == []
    counted = await profiles_per_tenant(engine)
    assert (counted[tenant.id], counted[other.id]) == (PROFILES, PROFILES)
    assert await filtered_total(services, tenant, "firefox") == 2
    assert await filtered_total(services, tenant, "^chrome$") == 2


async def test_seeded_sessions_name_their_devices_profiles(services: Services) -> None:
    plan = SeedPlan(users=5, sessions=300, random_seed=4)
    await Seeder(deps=services.deps, tenants=services.tenants).seed(unique_slug("seed"), plan)

    assert await profile_faults(services.deps.store.engine) == []


def _migrate(url: str, step: Callable[[Config, str], None], revision: str) -> None:
    async def run() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(lambda sync: step(alembic_config(sync), revision))
        finally:
            await engine.dispose()

    asyncio.run(run())


async def _tables_and_columns(url: str) -> tuple[set[str], set[str]]:
    def read(sync: Connection) -> tuple[set[str], set[str]]:
        found = inspect(sync)
        columns = {column["name"] for column in found.get_columns("sessions")}
        return set(found.get_table_names()), columns

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(read)
    finally:
        await engine.dispose()


def _settings(url: str) -> Settings:
    return Settings(database_url=url, password_time_cost=1, password_memory_cost=1024)


def test_upgrading_gives_the_sessions_already_there_their_profiles(fresh_database: str) -> None:
    _migrate(fresh_database, command.upgrade, "head")

    async def sign_in() -> Tenant:
        services = await open_services(_settings(fresh_database))
        try:
            tenant = (await services.tenants.create(slug=unique_slug())).tenant
            await sign_in_with_each_agent(services, tenant)
            return tenant
        finally:
            await services.close()

    tenant = asyncio.run(sign_in())
    _migrate(fresh_database, command.downgrade, "0007")
    tables, columns = asyncio.run(_tables_and_columns(fresh_database))
    assert "device_profiles" not in tables
    assert "device_profile_id" not in columns

    _migrate(fresh_database, command.upgrade, "head")

    async def check() -> None:
        services = await open_services(_settings(fresh_database))
        try:
            engine = services.deps.store.engine
            assert await profile_faults(engine) == []
            assert (await profiles_per_tenant(engine))[tenant.id] == PROFILES
            assert await filtered_total(services, tenant, "firefox") == 2
            assert await filtered_total(services, tenant, "mobile") == 1
            await sign_in_with_each_agent(services, tenant, prefix="later")  # found again
            assert (await profiles_per_tenant(engine))[tenant.id] == PROFILES
            assert await profile_faults(engine) == []
        finally:
            await services.close()

    asyncio.run(check())


async def test_concurrent_first_uses_of_a_profile_make_it_once(postgres_url: str) -> None:
    """The second transaction waits for the first one's insert and then reads its profile."""
    services = await open_services(_settings(postgres_url))
    try:
        tenant = (await services.tenants.create(slug=unique_slug())).tenant
        agent = UserAgentInfo(raw="x", browser_name="Concurrent", os_name="Race")
        engine = services.deps.store.engine
        async with engine.connect() as first, engine.connect() as second:
            await first.begin()
            await second.begin()
            made = await DeviceProfileRepository(first).ids_for(tenant.id, [agent])
            waiting: asyncio.Task[Any] = asyncio.create_task(
                DeviceProfileRepository(second).ids_for(tenant.id, [agent])
            )
            await asyncio.sleep(0.2)
            assert not waiting.done()
            await first.commit()
            found = await asyncio.wait_for(waiting, timeout=10)
            await second.commit()
        assert found == made
        assert (await profiles_per_tenant(engine))[tenant.id] == 1
    finally:
        await services.close()
