"""`GET /metrics` through the real app, on every backend: each metric after the action it counts
(sign-ins by door and outcome, throttled attempts, token checks and their latency, live sessions
read at scrape time, database and Redis errors), the bearer token, and no secret in a label."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pyotp
import pytest

from sessiond.compose import open_services
from sessiond.domain.session import EndReason
from sessiond.domain.tenant import SessionSettings
from sessiond.domain.user import Email, User
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.services.users import NewUser
from sessiond.settings import Settings
from sessiond.store.engine import create_engine
from tests.helpers.asgi import EveryDoor, app_client, every_door
from tests.helpers.metrics import Scrape, parse_answer, scrape
from tests.helpers.redis_server import RedisServer
from tests.helpers.tenants import unique_slug
from tests.helpers.users import wrong_code

PASSWORD = "correct horse battery staple"
SIGN_INS = "sessiond_sign_ins_total"
THROTTLED = "sessiond_throttled_attempts_total"
CHECKS = "sessiond_token_checks_total"
CHECK_SECONDS = "sessiond_token_check_duration_seconds"
LIVE = "sessiond_live_sessions"
ERRORS = "sessiond_storage_errors_total"


@pytest.fixture
async def doors(settings: Settings, services: Services) -> AsyncIterator[EveryDoor]:
    async with every_door(settings, services) as served:
        yield served


async def _user(doors: EveryDoor, name: str) -> User:
    email = Email(f"{name}@example.com", verified=True)
    new = NewUser(username=name, password=PASSWORD, emails=(email,))
    return await doors.services.users.create(doors.tenant.id, new)


async def _with_totp(doors: EveryDoor, user: User, clock: FrozenClock) -> pyotp.TOTP:
    enrolment = doors.services.totp_enrolment
    totp = pyotp.TOTP((await enrolment.begin(doors.tenant.id, user.id, issuer="test")).secret)
    await enrolment.confirm(doors.tenant.id, user.id, totp.at(clock.now()))
    clock.advance(timedelta(seconds=30))  # past the code the enrolment spent
    return totp


def _public(doors: EveryDoor) -> dict[str, str]:
    return {"x-public-key": doors.tenant.public_key}


async def _pxyz(doors: EveryDoor, name: str, password: str) -> httpx.Response:
    body = {"identifier": name, "strategy": "username_password", "password": password}
    return await doors.http.post("/api/sign-ins", headers=_public(doors), json=body)


async def _kratos(doors: EveryDoor, name: str, password: str) -> httpx.Response:
    flow = (await doors.http.get("/self-service/login/api")).json()
    body = {"method": "password", "identifier": name, "password": password}
    return await doors.http.post(f"/self-service/login?flow={flow['id']}", json=body)


async def _rocketchat(
    doors: EveryDoor, name: str, password: str, code: str | None = None
) -> httpx.Response:
    body = {"user": name, "password": password} | ({} if code is None else {"code": code})
    return await doors.http.post("/api/v1/login", json=body)


LOGINS = {"pxyz": _pxyz, "kratos": _kratos, "rocketchat": _rocketchat}


def _sign_ins(scraped: Scrape) -> dict[tuple[str, str], float]:
    return {
        (labels["door"], labels["outcome"]): scraped.value(SIGN_INS, **labels)
        for labels in scraped.labels_of(SIGN_INS)
    }


async def test_sign_ins_are_counted_by_door_and_outcome(doors: EveryDoor) -> None:
    await _user(doors, "ada")
    for login in LOGINS.values():
        assert (await login(doors, "ada", PASSWORD)).status_code in (200, 201)
        assert (await login(doors, "ada", "wrong password")).status_code in (400, 401)
    # pxyz's attempt started without its password is no sign-in yet; its password is one.
    body = {"identifier": "ada", "strategy": "username_password"}
    started = await doors.http.post("/api/sign-ins", headers=_public(doors), json=body)
    assert started.status_code == 201
    attempt = started.json()["data"]["signInAttempt"]["id"]
    answered = await doors.http.post(
        f"/api/sign-ins/{attempt}/attempt-first-factor",
        headers=_public(doors),
        json={"password": PASSWORD},
    )
    assert answered.status_code == 200, answered.text

    assert _sign_ins(await scrape(doors.http)) == {
        ("pxyz", "success"): 2,
        ("pxyz", "wrong_credentials"): 1,
        ("kratos", "success"): 1,
        ("kratos", "wrong_credentials"): 1,
        ("rocketchat", "success"): 1,
        ("rocketchat", "wrong_credentials"): 1,
    }


async def test_second_factor_outcomes_are_counted(doors: EveryDoor, clock: FrozenClock) -> None:
    totp = await _with_totp(doors, await _user(doors, "bob"), clock)
    wrong = wrong_code(totp.secret, clock)

    assert (await _rocketchat(doors, "bob", PASSWORD)).json()["error"] == "totp-required"
    refused = await _rocketchat(doors, "bob", PASSWORD, code=wrong)
    assert refused.json()["error"] == "totp-invalid"
    assert (await _rocketchat(doors, "bob", PASSWORD, code=totp.at(clock.now()))).status_code == 200

    waiting = await _pxyz(doors, "bob", PASSWORD)
    assert waiting.json()["data"]["signInAttempt"]["status"] == "needs_factor_two"
    attempt = waiting.json()["data"]["signInAttempt"]["id"]
    second = f"/api/sign-ins/{attempt}/attempt-second-factor"
    assert (await doors.http.post(second, headers=_public(doors), json={"code": wrong})).is_error

    signed_in = await _kratos(doors, "bob", PASSWORD)  # an AAL1 session, stepped up later
    token = {"X-Session-Token": signed_in.json()["session_token"]}
    flow = (await doors.http.get("/self-service/login/api?aal=aal2", headers=token)).json()
    stepped = await doors.http.post(
        f"/self-service/login?flow={flow['id']}",
        json={"method": "totp", "totp_code": wrong},
        headers=token,
    )
    assert stepped.status_code == 400

    assert _sign_ins(await scrape(doors.http)) == {
        ("rocketchat", "second_factor_required"): 1,
        ("rocketchat", "wrong_code"): 1,
        ("rocketchat", "success"): 1,
        ("pxyz", "second_factor_required"): 1,
        ("pxyz", "wrong_code"): 1,
        ("kratos", "success"): 1,
        ("kratos", "wrong_code"): 1,
    }


def _one_wrong_password(settings: SessionSettings) -> SessionSettings:
    return dataclasses.replace(
        settings, guesses=dataclasses.replace(settings.guesses, account_failures=1)
    )


async def test_throttled_attempts_are_counted_by_door(doors: EveryDoor) -> None:
    await doors.services.tenants.change_settings(
        doors.tenant.id,
        lambda s: dataclasses.replace(
            s, guesses=dataclasses.replace(s.guesses, account_failures=1)
        ),
    )
    await _user(doors, "cy")
    assert (await _pxyz(doors, "cy", "wrong password")).status_code == 401
    for login in LOGINS.values():
        assert (await login(doors, "cy", PASSWORD)).status_code == 429

    scraped = await scrape(doors.http)
    for door in LOGINS:
        assert scraped.value(THROTTLED, door=door, limit="password") == 1
        assert scraped.value(SIGN_INS, door=door, outcome="throttled") == 1
    assert scraped.value(SIGN_INS, door="pxyz", outcome="wrong_credentials") == 1
    assert not scraped.has(THROTTLED, door="pxyz", limit="second_factor")


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


async def test_database_errors_are_counted_and_metrics_answer_while_it_is_down(
    doors: EveryDoor, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = doors.services.deps.store
    gone = create_engine(_unreachable(database_url, tmp_path))
    monkeypatch.setattr(store, "engine", gone)
    try:
        assert (await doors.http.get("/healthz")).status_code == 503
        scraped = await scrape(doors.http)
    finally:
        await gone.dispose()

    # the health check's ping, and the scrape's own read of the live sessions
    assert scraped.value(ERRORS, backend="database") == 2
    assert scraped.value(ERRORS, backend="redis") == 0
    assert scraped.labels_of(LIVE) == []


def _unreachable(database_url: str, directory: Path) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{directory}/no/such/directory/sessiond.db"
    return "postgresql://sessiond@127.0.0.1:1/nowhere"


async def test_redis_errors_are_counted(
    settings: Settings, clock: FrozenClock, redis_server: RedisServer
) -> None:
    with_redis = dataclasses.replace(settings, redis_url=redis_server.url)
    services = await open_services(with_redis, clock=clock)
    try:
        tenant = (await services.tenants.create(slug=unique_slug("redis"))).tenant
        served = dataclasses.replace(with_redis, rocketchat_tenant=tenant.slug)
        new = NewUser(username="fay", password=PASSWORD, emails=())
        await services.users.create(tenant.id, new)
        async with app_client(served, services) as http:
            redis_server.stop()
            login = {"user": "fay", "password": PASSWORD}
            assert (await http.post("/api/v1/login", json=login)).status_code == 200
            scraped = await scrape(http)
    finally:
        await services.close()

    # the guess counters' reservation; the commit's publish may fail as well
    assert scraped.value(ERRORS, backend="redis") >= 1
    assert scraped.value(ERRORS, backend="database") == 0


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


async def test_no_secret_appears_in_a_label(doors: EveryDoor) -> None:
    user = await _user(doors, "gil")
    answers = [await login(doors, "gil@example.com", PASSWORD) for login in LOGINS.values()]
    await _rocketchat(doors, "gil@example.com", "a wrong password")
    token = answers[2].json()["data"]["authToken"]
    await doors.http.get("/api/v1/me", headers={"X-User-Id": user.id.hex, "X-Auth-Token": token})
    await doors.services.sessions.end_for_user(
        doors.tenant.id, user.id, reason=EndReason.SIGNED_OUT, by=None
    )

    text = (await scrape(doors.http)).text
    secrets = (PASSWORD, "a wrong password", token, "gil", user.id.hex, "203.0.113.7")
    assert [secret for secret in secrets if secret in text] == []
