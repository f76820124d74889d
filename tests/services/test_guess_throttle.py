"""Throttling of password guesses through the sign-in pipeline, on every backend and through
Redis: the budget, the growing delay, the owner getting in after it, nothing written for a
refused try, no way around the budget by racing, and counters shared by nodes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from sessiond.compose import open_services
from sessiond.domain.errors import AuthenticationFailed, TooManyGuesses
from sessiond.domain.tenant import GuessLimits, Tenant
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.guesses import REDIS_RETRY_AFTER
from sessiond.services.sign_in import PasswordSignIn, SignInResult
from sessiond.settings import Settings
from sessiond.store.tables import guess_hits, sign_in_attempts
from tests.helpers.clock import Ticker
from tests.helpers.redis_server import RedisServer
from tests.helpers.users import CLIENT, PASSWORD, add_user

WRONG = "not the password"


async def _try(
    services: Services,
    tenant: Tenant,
    identifier: str = "alice",
    password: str = WRONG,
    *,
    client: Client = CLIENT,
) -> str:
    """What a try came to: signed-in, wrong, or the wait in seconds."""
    try:
        result: SignInResult = await services.sign_ins.password(
            PasswordSignIn(tenant.id, identifier=identifier, password=password, client=client)
        )
    except TooManyGuesses as exc:
        return f"wait {exc.retry_after}"
    except AuthenticationFailed:
        return "wrong"
    assert result.issued is not None
    return "signed in"


async def _tries(services: Services, tenant: Tenant, count: int, **kwargs: object) -> list[str]:
    return [await _try(services, tenant, **kwargs) for _ in range(count)]  # type: ignore[arg-type]


async def _limits(services: Services, tenant: Tenant, **limits: object) -> Tenant:
    return await services.tenants.change_settings(
        tenant.id, lambda s: replace(s, guesses=replace(s.guesses, **limits))
    )


async def _rows(services: Services, table: object, tenant: Tenant) -> int:
    async with services.deps.store.engine.connect() as conn:
        query = select(func.count()).select_from(table).where(table.c.tenant_id == tenant.id)  # type: ignore[attr-defined]
        return int((await conn.execute(query)).scalar_one())


async def test_the_budget_then_a_delay_that_doubles_and_the_owner_gets_in_after_it(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    await add_user(services, tenant)
    assert await _tries(services, tenant, 10) == ["wrong"] * 10
    assert await _try(services, tenant) == "wait 30"
    assert await _try(services, tenant, password=PASSWORD) == "wait 30"  # not even the owner
    clock.advance(timedelta(seconds=29))
    assert await _try(services, tenant) == "wait 1"
    clock.advance(timedelta(seconds=1))
    assert await _try(services, tenant) == "wrong"
    assert await _try(services, tenant) == "wait 60"
    clock.advance(timedelta(seconds=60))
    assert await _try(services, tenant, password=PASSWORD) == "signed in"
    assert await _tries(services, tenant, 10) == ["wrong"] * 10  # a right password starts over


async def test_unknown_accounts_are_throttled_exactly_like_known_ones(
    services: Services, tenant: Tenant
) -> None:
    await add_user(services, tenant)
    known = await _tries(services, tenant, 12, identifier="alice")
    unknown = await _tries(services, tenant, 12, identifier="nobody")
    assert known == unknown == ["wrong"] * 10 + ["wait 30"] * 2


async def test_a_refused_try_writes_nothing(services: Services, tenant: Tenant) -> None:
    await _tries(services, tenant, 10, identifier="Alice")
    attempts = await _rows(services, sign_in_attempts, tenant)
    hits = await _rows(services, guess_hits, tenant)
    assert await _tries(services, tenant, 50, identifier=" ALICE ") == ["wait 30"] * 50
    assert await _rows(services, sign_in_attempts, tenant) == attempts == 10
    assert await _rows(services, guess_hits, tenant) == hits


async def test_the_ip_budget_stops_spraying_one_password_across_accounts(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    tenant = await _limits(services, tenant, ip_failures=5)
    await add_user(services, tenant, "victim")
    sprayed = [await _try(services, tenant, f"user{n}") for n in range(7)]
    assert sprayed == ["wrong"] * 5 + ["wait 30"] * 2
    elsewhere = replace(CLIENT, ip="198.51.100.1")
    assert await _try(services, tenant, "victim", PASSWORD, client=elsewhere) == "signed in"
    clock.advance(timedelta(minutes=15))
    assert await _try(services, tenant, "user9") == "wrong"


async def test_a_right_password_does_not_count_against_the_ip(
    services: Services, tenant: Tenant
) -> None:
    tenant = await _limits(services, tenant, ip_failures=3)
    await add_user(services, tenant)
    for _ in range(5):
        assert await _try(services, tenant, password=PASSWORD) == "signed in"
    assert await _tries(services, tenant, 4, identifier="other") == ["wrong"] * 3 + ["wait 30"]


async def test_racing_guesses_cannot_pass_the_budget(services: Services, tenant: Tenant) -> None:
    await add_user(services, tenant)
    outcomes = await asyncio.gather(*(_try(services, tenant) for _ in range(30)))
    assert sorted(outcomes) == sorted(["wrong"] * 10 + ["wait 30"] * 20)


async def test_an_operator_unlock_forgives_the_failures(services: Services, tenant: Tenant) -> None:
    await add_user(services, tenant)
    await _tries(services, tenant, 11)
    forgiven = await services.sign_ins.guesses.unlock(
        tenant.id, identifiers=["alice"], ips=[str(CLIENT.ip)]
    )
    assert forgiven == 20  # ten on the account, ten on the address
    assert await _try(services, tenant) == "wrong"


async def test_each_tenant_has_its_own_budgets(services: Services, tenant: Tenant) -> None:
    other = (await services.tenants.create(slug=f"{tenant.slug}-b")).tenant
    other = await _limits(services, other, account_failures=2, first_delay=timedelta(seconds=5))
    assert await _tries(services, other, 3) == ["wrong", "wrong", "wait 5"]
    assert await _try(services, tenant) == "wrong"
    assert other.settings.guesses == GuessLimits(
        account_failures=2, first_delay=timedelta(seconds=5)
    )


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
async def redis_nodes(
    settings: Settings, clock: FrozenClock, redis_server: RedisServer, ticker: Ticker
) -> AsyncIterator[tuple[Services, Services]]:
    with_redis = replace(settings, redis_url=redis_server.url)
    node_a = await open_services(with_redis, clock=clock, monotonic=ticker)
    node_b = await open_services(with_redis, clock=clock, monotonic=ticker)
    try:
        yield node_a, node_b
    finally:
        await node_a.close()
        await node_b.close()


async def test_nodes_share_the_counters_through_redis_and_the_database_stays_empty(
    redis_nodes: tuple[Services, Services],
) -> None:
    node_a, node_b = redis_nodes
    tenant = (await node_a.tenants.create(slug="guessed")).tenant
    await add_user(node_a, tenant)
    assert await _tries(node_a, tenant, 5) + await _tries(node_b, tenant, 5) == ["wrong"] * 10
    assert await _try(node_a, tenant) == await _try(node_b, tenant) == "wait 30"
    assert await _rows(node_a, guess_hits, tenant) == 0
    outcomes = await asyncio.gather(
        *(_try(node, tenant, "bob") for node in (node_a, node_b) for _ in range(10))
    )
    assert sorted(outcomes) == sorted(["wrong"] * 10 + ["wait 30"] * 10)


async def test_when_redis_fails_the_database_counts_and_redis_takes_over_again(
    redis_nodes: tuple[Services, Services],
    redis_server: RedisServer,
    clock: FrozenClock,
    ticker: Ticker,
) -> None:
    node_a, _ = redis_nodes
    tenant = (await node_a.tenants.create(slug="redis-down")).tenant
    await add_user(node_a, tenant)
    redis_server.stop()
    assert await _tries(node_a, tenant, 11) == ["wrong"] * 10 + ["wait 30"]
    assert await _rows(node_a, guess_hits, tenant) == 20
    redis_server.start()
    ticker.now += REDIS_RETRY_AFTER  # the database keeps the counters a while after a failure
    clock.advance(timedelta(seconds=30))
    assert await _try(node_a, tenant, "carol") == "wrong"
    assert await _rows(node_a, guess_hits, tenant) == 20  # counted in Redis again
