"""Throttled password guesses through each door, on every backend: the door's wrong-password
answer up to the tenant's budget, then the door's own 429 with Retry-After (even for the right
password), and the owner signed in once the delay has passed; and through Redis, the budget
shared by two nodes and all three doors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from sessiond.compose import open_services
from sessiond.domain.tenant import Tenant
from sessiond.domain.user import Email
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.services.users import NewUser
from sessiond.settings import Settings
from tests.helpers.asgi import app_client
from tests.helpers.redis_server import RedisServer
from tests.helpers.tenants import unique_slug

PASSWORD = "correct horse battery staple"
EMAIL = "ada@example.com"
BUDGET = 3
DELAY = timedelta(seconds=20)

Login = Callable[[httpx.AsyncClient, Tenant, str], Awaitable[httpx.Response]]


async def _pxyz(http: httpx.AsyncClient, tenant: Tenant, password: str) -> httpx.Response:
    body = {"identifier": EMAIL, "strategy": "email_password", "password": password}
    return await http.post("/api/sign-ins", headers={"x-public-key": tenant.public_key}, json=body)


async def _pxyz_staged(http: httpx.AsyncClient, tenant: Tenant, password: str) -> httpx.Response:
    headers = {"x-public-key": tenant.public_key}
    started = await http.post(
        "/api/sign-ins", headers=headers, json={"identifier": EMAIL, "strategy": "email_password"}
    )
    assert started.status_code == 201, started.text
    attempt = started.json()["data"]["signInAttempt"]["id"]
    return await http.post(
        f"/api/sign-ins/{attempt}/attempt-first-factor",
        headers=headers,
        json={"strategy": "email_password", "password": password},
    )


async def _kratos(http: httpx.AsyncClient, tenant: Tenant, password: str) -> httpx.Response:
    flow = (await http.get("/self-service/login/api")).json()
    body = {"method": "password", "identifier": EMAIL, "password": password}
    return await http.post(f"/self-service/login?flow={flow['id']}", json=body)


async def _rocketchat(http: httpx.AsyncClient, tenant: Tenant, password: str) -> httpx.Response:
    return await http.post("/api/v1/login", json={"user": EMAIL, "password": password})


def _pxyz_throttled(body: dict[str, Any], wait: int) -> None:
    assert body["code"] == "TOO_MANY_REQUESTS"
    assert f"{wait} seconds" in body["message"]


def _kratos_throttled(body: dict[str, Any], wait: int) -> None:
    """The login flow again, carrying the message, as for wrong credentials."""
    assert body["type"] == "api"
    assert body["ui"]["action"].endswith(f"?flow={body['id']}")
    [message] = body["ui"]["messages"]
    assert message["type"] == "error"
    assert message["id"] == 4000001
    assert (
        message["text"] == f"Too many failed sign-in attempts. Please try again in {wait} seconds."
    )
    assert message["context"] == {"retry_after_seconds": wait}


def _rocketchat_throttled(body: dict[str, Any], wait: int) -> None:
    assert body == {
        "success": False,
        "error": "Error, too many requests. Please slow down. You must wait "
        f"{wait} seconds before trying this endpoint again. [error-too-many-requests]",
    }


DOORS: dict[str, tuple[Login, int, Callable[[dict[str, Any], int], None]]] = {
    "pxyz": (_pxyz, 401, _pxyz_throttled),
    "pxyz-staged": (_pxyz_staged, 401, _pxyz_throttled),
    "kratos": (_kratos, 400, _kratos_throttled),
    "rocketchat": (_rocketchat, 401, _rocketchat_throttled),
}


async def _guessed_tenant(services: Services) -> Tenant:
    tenant = (await services.tenants.create(slug=unique_slug("guessed"))).tenant
    tenant = await services.tenants.change_settings(
        tenant.id,
        lambda s: replace(
            s, guesses=replace(s.guesses, account_failures=BUDGET, first_delay=DELAY)
        ),
    )
    new = NewUser(username="ada", password=PASSWORD, emails=(Email(EMAIL, verified=True),))
    await services.users.create(tenant.id, new)
    return tenant


def _doors(settings: Settings, tenant: Tenant) -> Settings:
    return replace(settings, kratos_tenant=tenant.slug, rocketchat_tenant=tenant.slug)


@pytest.mark.parametrize("door", sorted(DOORS))
async def test_each_door_throttles_in_its_own_shape_and_lets_the_owner_in_after_the_delay(
    settings: Settings, services: Services, clock: FrozenClock, door: str
) -> None:
    login, wrong_status, throttled = DOORS[door]
    tenant = await _guessed_tenant(services)
    async with app_client(_doors(settings, tenant), services) as http:
        for _ in range(BUDGET):
            assert (await login(http, tenant, "wrong password")).status_code == wrong_status
        for password in ("wrong password", PASSWORD):
            refused = await login(http, tenant, password)
            assert refused.status_code == 429, refused.text
            assert refused.headers["retry-after"] == "20"
            assert refused.headers["x-request-id"]
            throttled(refused.json(), 20)
        clock.advance(DELAY - timedelta(seconds=5))
        refused = await login(http, tenant, PASSWORD)
        assert refused.headers["retry-after"] == "5"
        throttled(refused.json(), 5)
        clock.advance(timedelta(seconds=5))
        signed_in = await login(http, tenant, PASSWORD)
        assert signed_in.status_code in (200, 201), signed_in.text


@pytest.fixture
async def two_nodes(
    settings: Settings, clock: FrozenClock, redis_server: RedisServer
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, Tenant]]:
    with_redis = replace(settings, redis_url=redis_server.url)
    node_a = await open_services(with_redis, clock=clock)
    node_b = await open_services(with_redis, clock=clock)
    try:
        tenant = await _guessed_tenant(node_a)
        served = _doors(with_redis, tenant)
        async with app_client(served, node_a) as a, app_client(served, node_b) as b:
            yield a, b, tenant
    finally:
        await node_a.close()
        await node_b.close()


async def test_two_nodes_and_three_doors_share_one_budget_through_redis(
    two_nodes: tuple[httpx.AsyncClient, httpx.AsyncClient, Tenant], clock: FrozenClock
) -> None:
    a, b, tenant = two_nodes
    assert (await _rocketchat(a, tenant, "guess 1")).status_code == 401
    assert (await _kratos(b, tenant, "guess 2")).status_code == 400
    assert (await _pxyz(a, tenant, "guess 3")).status_code == 401
    for node in (a, b):
        for login in (_pxyz, _kratos, _rocketchat):
            refused = await login(node, tenant, PASSWORD)
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "20"
    clock.advance(DELAY)
    assert (await _kratos(b, tenant, PASSWORD)).status_code == 200
