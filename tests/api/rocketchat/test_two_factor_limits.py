"""Second-factor limits through the real app, on every backend: sendEmailCode answers before it
looks anyone up or mails, and the per-user try budget reaches login's code and the 2fa:*
methods with Rocket.Chat's bodies."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from sessiond.app import create_app
from sessiond.domain.tenant import Tenant
from sessiond.domain.two_factor import FACTOR_TRY_LIMIT, FACTOR_TRY_WINDOW
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.helpers.mail import Inbox
from tests.helpers.rocketchat import PASSWORD, call, enrol_totp, login, make_user


async def _post_raw(app: Any, path: str, body: dict[str, str], inbox: Inbox) -> tuple[int, bytes]:
    """Posts through ASGI itself; returns how many mails had arrived when the answer was sent."""
    seen: list[tuple[int, bytes]] = []
    payload = json.dumps(body).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"sessiond.test"), (b"content-type", b"application/json")],
        "client": ("203.0.113.7", 50000),
        "server": ("sessiond.test", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body"):
            seen.append((len(inbox.messages), message["body"]))

    await app(scope, receive, send)
    [answered] = seen
    return answered


async def test_send_email_code_answers_before_it_looks_up_or_mails(
    rc: httpx.AsyncClient,
    rc_settings: Settings,
    services: Services,
    rc_tenant: Tenant,
    inbox: Inbox,
) -> None:
    await make_user(services, rc_tenant, "root", email_address="root@example.test")
    me = await login(rc, "root")
    await rc.post("/api/v1/users.2fa.enableEmail", headers=me)
    app = create_app(rc_settings, services=services)
    async with LifespanManager(app) as manager:
        answers = [
            await _post_raw(
                manager.app, "/api/v1/users.2fa.sendEmailCode", {"emailOrUsername": who}, inbox
            )
            for who in ("root", "nobody", "root")
        ]
    assert answers == [(0, b'{"success":true}'), (1, b'{"success":true}'), (1, b'{"success":true}')]
    assert len(inbox.messages) == 1


async def test_login_codes_and_ddp_methods_stop_after_the_try_budget(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant, clock: FrozenClock
) -> None:
    await make_user(services, rc_tenant, "root", roles=("admin",))
    me = await login(rc, "root")
    totp, _ = await enrol_totp(rc, me, clock)
    body = {"username": "root", "password": PASSWORD}

    for _ in range(FACTOR_TRY_LIMIT - 2):
        wrong = await rc.post("/api/v1/login", json={**body, "code": "000000"})
        assert (wrong.status_code, wrong.json()["error"]) == (401, "totp-invalid")
    last = await call(rc, me, "2fa:regenerateCodes", "000000")
    assert last["error"]["error"] == "invalid-totp"
    spent = await call(rc, me, "2fa:regenerateCodes", "000000")
    assert spent["error"]["error"] == "totp-max-attempts"
    locked = await rc.post("/api/v1/login", json={**body, "code": totp.at(clock.now())})
    assert (locked.status_code, locked.json()["error"]) == (401, "totp-max-attempts")
    assert (await call(rc, me, "2fa:disable", totp.at(clock.now())))["error"][
        "error"
    ] == "totp-max-attempts"

    clock.advance(FACTOR_TRY_WINDOW + timedelta(seconds=1))
    await login(rc, "root", code=totp.at(clock.now()))
