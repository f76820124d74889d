"""Input built to hurt: JSON nested past any parser's depth and bodies past the size cap get
Rocket.Chat's error bodies, never a 500, and an oversized body is never read in whole."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from sessiond.app import create_app
from sessiond.domain.tenant import Tenant
from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.helpers.rocketchat import login, make_user

DEEP = "[" * 1100
MIB = 1 << 20


async def test_deeply_nested_json_is_invalid_params_everywhere(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant
) -> None:
    await make_user(services, rc_tenant, "boss", roles=("admin",))
    me = await login(rc, "boss")
    answers = [
        await rc.post("/api/v1/login", content=DEEP),
        await rc.post("/api/v1/users.2fa.sendEmailCode", content=DEEP),
        await rc.post("/api/v1/sessions/logout.me", content=DEEP, headers=me),
        await rc.post("/api/v1/method.call/2fa:enable", json={"message": DEEP}, headers=me),
    ]
    for answer in answers:
        assert (answer.status_code, answer.json()["errorType"]) == (400, "invalid-params")
        assert answer.json()["success"] is False
    for path in ("/api/v1/sessions/list", "/api/v1/sessions/list.all"):
        sort = await rc.get(path, params={"sort": DEEP}, headers=me)
        assert (sort.status_code, sort.json()["errorType"]) == (400, "error-invalid-sort")


async def test_a_body_over_the_cap_is_refused_before_it_is_read(
    rc: httpx.AsyncClient,
) -> None:
    declared = await rc.post(
        "/api/v1/login",
        content=b" " * 10,
        headers={"content-length": str(300 * MIB), "content-type": "application/json"},
    )
    assert declared.status_code == 413
    assert declared.json() == {
        "success": False,
        "error": "the body is larger than 65536 bytes [error-too-large]",
        "errorType": "error-too-large",
    }

    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(300):
            sent.append(MIB)
            yield b" " * MIB

    streamed = await rc.post(
        "/api/v1/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert streamed.json()["errorType"] == "error-too-large"
    assert len(sent) < 5

    small = await rc.post("/api/v1/login", content=json.dumps({"username": "x" * 60_000}))
    assert small.status_code == 400


async def test_an_unexpected_error_still_answers_in_rocket_chats_shape(
    rc_settings: Settings, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault no handler expects (injected: a bug raising RuntimeError) is a 500 with
    `success: false`, the shape the rocketchat-api client reads, not a plain-text page."""

    async def broken(slug: str) -> Tenant:
        raise RuntimeError("an injected bug")

    monkeypatch.setattr(services.tenants, "get_by_slug", broken)
    app = create_app(rc_settings, services=services)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            answer = await http.post("/api/v1/login", json={"user": "x", "password": "y"})
    assert answer.status_code == 500
    assert answer.json() == {
        "success": False,
        "error": "an unexpected error occurred [error-internal]",
        "errorType": "error-internal",
    }
