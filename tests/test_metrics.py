"""`GET /metrics` through the real app, on every backend: each metric after the action it counts
(sign-ins by door and outcome, throttled attempts, token checks and their latency, live sessions
read at scrape time, database and Redis errors), the bearer token, and no secret in a label."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from sessiond.domain.user import Email, User
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.services.users import NewUser
from sessiond.settings import Settings
from tests.helpers.asgi import EveryDoor, app_client, every_door
from tests.helpers.metrics import parse_answer, scrape
from tests.helpers.tenants import unique_slug

PASSWORD = "correct horse battery staple"
CHECKS = "sessiond_token_checks_total"
CHECK_SECONDS = "sessiond_token_check_duration_seconds"
LIVE = "sessiond_live_sessions"


@pytest.fixture
async def doors(settings: Settings, services: Services) -> AsyncIterator[EveryDoor]:
    async with every_door(settings, services) as served:
        yield served


async def _user(doors: EveryDoor, name: str) -> User:
    email = Email(f"{name}@example.com", verified=True)
    new = NewUser(username=name, password=PASSWORD, emails=(email,))
    return await doors.services.users.create(doors.tenant.id, new)


async def _rocketchat(
    doors: EveryDoor, name: str, password: str, code: str | None = None
) -> httpx.Response:
    body = {"user": name, "password": password} | ({} if code is None else {"code": code})
    return await doors.http.post("/api/v1/login", json=body)


async def test_token_checks_are_counted_by_outcome_and_timed(doors: EveryDoor) -> None:
    await _user(doors, "dee")
    data = (await _rocketchat(doors, "dee", PASSWORD)).json()["data"]
    mine = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}
    before = await scrape(doors.http)
    assert before.value(CHECKS, outcome="live") == 0
    assert before.has(CHECKS, outcome="idle")  # every outcome is exposed from the start

    assert (await doors.http.get("/api/v1/me", headers=mine)).status_code == 200
    assert (await doors.http.post("/api/v1/logout", headers=mine)).status_code == 200
    assert (await doors.http.get("/api/v1/me", headers=mine)).status_code == 401
    unknown = {"X-User-Id": data["userId"], "X-Auth-Token": "not-a-token"}
    assert (await doors.http.get("/api/v1/me", headers=unknown)).status_code == 401

    scraped = await scrape(doors.http)
    assert scraped.value(CHECKS, outcome="live") == 2  # me, and logout's own check
    assert scraped.value(CHECKS, outcome="ended") == 1
    assert scraped.value(CHECKS, outcome="unknown") == 1
    assert scraped.value(f"{CHECK_SECONDS}_count") == 4
    assert scraped.value(f"{CHECK_SECONDS}_bucket", le="+Inf") == 4
    assert 0 < scraped.value(f"{CHECK_SECONDS}_sum") < 4 * 2.5


async def test_live_sessions_are_read_per_tenant_at_scrape_time(
    doors: EveryDoor, clock: FrozenClock
) -> None:
    await _user(doors, "eve")
    quiet = (await doors.services.tenants.create(slug=unique_slug("quiet"))).tenant
    tokens = [(await _rocketchat(doors, "eve", PASSWORD)).json()["data"] for _ in range(3)]
    slug = doors.tenant.slug

    scraped = await scrape(doors.http)
    assert scraped.value(LIVE, tenant=slug) == 3
    assert scraped.has(LIVE, tenant=quiet.slug)
    assert scraped.value(LIVE, tenant=quiet.slug) == 0

    mine = {"X-User-Id": tokens[0]["userId"], "X-Auth-Token": tokens[0]["authToken"]}
    assert (await doors.http.post("/api/v1/logout", headers=mine)).status_code == 200
    assert (await scrape(doors.http)).value(LIVE, tenant=slug) == 2
    lifetime = doors.tenant.settings.max_lifetime
    clock.advance(lifetime + timedelta(seconds=1))
    assert (await scrape(doors.http)).value(LIVE, tenant=slug) == 0


async def test_the_bearer_token_guards_metrics(settings: Settings, services: Services) -> None:
    guarded = dataclasses.replace(settings, metrics_token="scrape-secret")
    async with app_client(guarded, services) as http:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": "Basic scrape-secret"},
            {"Authorization": "Bearer scrape-secret-and-more"},
        ):
            refused = await http.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"] == "Bearer"
            assert refused.json()["error"]["code"] == 401
            assert "scrape-secret" not in refused.text
        parse_answer(await http.get("/metrics", headers={"Authorization": "Bearer scrape-secret"}))


async def test_metrics_may_be_turned_off(settings: Settings, services: Services) -> None:
    async with app_client(dataclasses.replace(settings, metrics_enabled=False), services) as http:
        assert (await http.get("/metrics")).status_code == 404
