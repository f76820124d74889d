"""REST two-factor through the real app, on every backend: the three error bodies, the password
fallback, TOTP (replay-proof, backup codes single use), mailed codes received by a real SMTP
server, the trust window, and TOTP enrolment over DDP-over-REST."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from sessiond.compose import open_services
from sessiond.domain.tenant import Tenant
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.helpers.asgi import app_client
from tests.helpers.mail import Inbox
from tests.helpers.rocketchat import PASSWORD, call, enrol_totp, login, make_user
from tests.helpers.rocketchat_wire import SEED_TOTP_REQUIRED

LIST_ALL = "/api/v1/sessions/list.all"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:112.0) Gecko/20100101 Firefox/112.0"


def refusal(kind: str, text: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"success": False, "error": f"{text} [{kind}]", "errorType": kind, "details": details}


def password_headers(password: str = PASSWORD) -> dict[str, str]:
    return {"x-2fa-code": hashlib.sha256(password.encode()).hexdigest(), "x-2fa-method": "password"}


@pytest.fixture
async def root(services: Services, rc_tenant: Tenant) -> None:
    await make_user(
        services,
        rc_tenant,
        "root",
        roles=("admin",),
        name="Root",
        email_address="root@example.test",
    )


async def test_the_password_fallback_and_its_error_bodies(
    rc: httpx.AsyncClient, root: None
) -> None:
    me = await login(rc, "root")

    required = await rc.get(LIST_ALL, headers=me)
    assert (required.status_code, required.json()) == (400, SEED_TOTP_REQUIRED)
    details = SEED_TOTP_REQUIRED["details"]
    for wrong in (password_headers("not the password"), {"x-2fa-code": "garbage"}):
        refused = await rc.get(LIST_ALL, headers={**me, **wrong})
        assert (refused.status_code, refused.json()) == (
            400,
            refusal("totp-invalid", "TOTP Invalid", details),  # type: ignore[arg-type]
        )
    upper = {"x-2fa-code": password_headers()["x-2fa-code"].upper()}
    assert (await rc.get(LIST_ALL, headers={**me, **upper})).status_code == 200


async def test_a_proof_is_trusted_for_the_same_token_agent_and_address_for_30_minutes(
    rc: httpx.AsyncClient, root: None, clock: FrozenClock, rc_settings: Settings, services: Services
) -> None:
    me = await login(rc, "root")
    assert (await rc.get(LIST_ALL, headers={**me, **password_headers()})).status_code == 200

    assert (await rc.get(LIST_ALL, headers=me)).status_code == 200
    other_agent = await rc.get(LIST_ALL, headers={**me, "user-agent": FIREFOX})
    assert other_agent.json()["errorType"] == "totp-required"
    async with app_client(rc_settings, services, client=("198.51.100.9", 4000)) as elsewhere:
        moved = await elsewhere.get(
            LIST_ALL, headers={**me, "user-agent": rc.headers["user-agent"]}
        )
        assert moved.json()["errorType"] == "totp-required"
    other_token = await login(rc, "root")
    assert (await rc.get(LIST_ALL, headers=other_token)).json()["errorType"] == "totp-required"

    clock.advance(timedelta(seconds=1799))
    assert (await rc.get(LIST_ALL, headers=me)).status_code == 200
    clock.advance(timedelta(seconds=2))
    assert (await rc.get(LIST_ALL, headers=me)).json()["errorType"] == "totp-required"


async def test_totp_codes_never_replay_and_wrong_ones_are_always_refused(
    rc: httpx.AsyncClient, root: None, clock: FrozenClock
) -> None:
    setup = await login(rc, "root")
    totp, _ = await enrol_totp(rc, setup, clock)
    details = {"method": "totp", "codeGenerated": False, "availableMethods": ["totp"]}

    me = await login(rc, "root", code=totp.at(clock.now()))
    clock.advance(timedelta(seconds=30))
    required = await rc.get(LIST_ALL, headers=me)
    assert required.json() == refusal("totp-required", "TOTP Required", details)
    good = totp.at(clock.now())
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    for _ in range(6):
        refused = await rc.get(LIST_ALL, headers={**me, "x-2fa-code": wrong})
        assert (refused.status_code, refused.json()) == (
            400,
            refusal("totp-invalid", "TOTP Invalid", details),
        )
    assert (await rc.get(LIST_ALL, headers={**me, "x-2fa-code": good})).status_code == 200

    replay = await login(rc, "root", code=totp.at(clock.now() + timedelta(seconds=30)))
    clock.advance(timedelta(seconds=10))
    for code in (good, totp.at(clock.now() - timedelta(seconds=30))):
        again = await rc.get(LIST_ALL, headers={**replay, "x-2fa-code": code})
        assert again.json()["errorType"] == "totp-invalid"
    named = {"x-2fa-method": "password", **password_headers()}
    assert (await rc.get(LIST_ALL, headers={**replay, **named})).json()[
        "errorType"
    ] == "totp-invalid"


async def test_backup_codes_work_once_and_regenerating_replaces_them(
    rc: httpx.AsyncClient, root: None, clock: FrozenClock
) -> None:
    setup = await login(rc, "root")
    totp, codes = await enrol_totp(rc, setup, clock)

    first = await login(rc, "root", code=codes[0])
    assert (await rc.get(LIST_ALL, headers={**first, "x-2fa-code": codes[1]})).status_code == 200
    second = await login(rc, "root", code=codes[2])
    used = await rc.get(LIST_ALL, headers={**second, "x-2fa-code": codes[1]})
    assert used.json()["errorType"] == "totp-invalid"

    fresh = (await call(rc, setup, "2fa:regenerateCodes", codes[3]))["result"]["codes"]
    assert len(fresh) == 12
    assert not set(fresh) & set(codes)
    stale = await rc.get(LIST_ALL, headers={**second, "x-2fa-code": codes[4]})
    assert stale.json()["errorType"] == "totp-invalid"
    assert (await rc.get(LIST_ALL, headers={**second, "x-2fa-code": fresh[0]})).status_code == 200

    assert (await call(rc, setup, "2fa:disable", "123456"))["result"] is False
    assert (await call(rc, setup, "2fa:disable", totp.at(clock.now())))["result"] is True
    after = await login(rc, "root")
    assert (await rc.get(LIST_ALL, headers=after)).json() == SEED_TOTP_REQUIRED


async def test_login_asks_a_totp_user_for_a_code(
    rc: httpx.AsyncClient, root: None, clock: FrozenClock
) -> None:
    setup = await login(rc, "root")
    totp, _ = await enrol_totp(rc, setup, clock)
    body = {"username": "root", "password": PASSWORD}
    details = {"method": "totp", "codeGenerated": False, "availableMethods": ["totp"]}

    missing = await rc.post("/api/v1/login", json=body)
    assert (missing.status_code, missing.json()) == (
        401,
        {
            "status": "error",
            "error": "totp-required",
            "message": "TOTP Required",
            "details": details,
        },
    )
    wrong = await rc.post("/api/v1/login", json={**body, "code": "000000"})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "totp-invalid")
    header = await rc.post("/api/v1/login", json=body, headers={"x-2fa-code": totp.at(clock.now())})
    assert header.status_code == 200
    assert header.json()["data"]["me"]["services"]["totp"] == {"enabled": True}


async def test_mailed_codes_through_a_real_smtp_server(
    rc: httpx.AsyncClient, root: None, clock: FrozenClock, inbox: Inbox
) -> None:
    setup = await login(rc, "root")
    _, backup = await enrol_totp(rc, setup, clock)
    assert (await rc.post("/api/v1/users.2fa.enableEmail", headers=setup)).json() == {
        "success": True
    }
    me = await login(rc, "root", code=backup[0])
    by_email = {**me, "x-2fa-method": "email"}

    asked = await rc.get(LIST_ALL, headers=by_email)
    assert asked.json() == refusal(
        "totp-required",
        "TOTP Required",
        {
            "method": "email",
            "codeGenerated": True,
            "availableMethods": ["totp", "email"],
            "emailOrUsername": "root",
        },
    )
    again = await rc.get(LIST_ALL, headers=by_email)
    assert again.json()["details"]["codeGenerated"] is False
    [code] = inbox.codes_for("root@example.test")
    assert (await rc.get(LIST_ALL, headers={**by_email, "x-2fa-code": code})).status_code == 200

    clock.advance(timedelta(seconds=61))
    other = await login(rc, "root", code=backup[1])
    reused = await rc.get(LIST_ALL, headers={**other, "x-2fa-method": "email", "x-2fa-code": code})
    assert reused.json()["details"]["codeGenerated"] is True
    assert reused.json()["errorType"] == "totp-invalid"


async def test_a_used_up_mailed_code_blocks_new_ones_until_it_expires(
    rc: httpx.AsyncClient, root: None, clock: FrozenClock, inbox: Inbox
) -> None:
    setup = await login(rc, "root")
    await rc.post("/api/v1/users.2fa.enableEmail", headers=setup)
    me = {**await login(rc, "root"), "x-2fa-method": "email"}
    await rc.get(LIST_ALL, headers=me)
    code = inbox.last_code("root@example.test")
    wrong = f"{(int(code.replace('-', '')) + 1) % 1_000_000:06d}"

    kinds = [
        (await rc.get(LIST_ALL, headers={**me, "x-2fa-code": wrong})).json()["errorType"]
        for _ in range(5)
    ]
    assert kinds == ["totp-invalid"] * 4 + ["totp-max-attempts"]
    clock.advance(timedelta(minutes=5))
    for _ in range(3):
        await rc.post("/api/v1/users.2fa.sendEmailCode", json={"emailOrUsername": "root"})
        late = await rc.get(LIST_ALL, headers={**me, "x-2fa-code": code})
        assert late.json()["errorType"] == "totp-max-attempts"
        assert late.json()["details"]["codeGenerated"] is False
    assert len(inbox.codes_for("root@example.test")) == 1

    clock.advance(timedelta(seconds=3600))
    expired = await rc.get(LIST_ALL, headers={**me, "x-2fa-code": code})
    assert expired.json()["errorType"] == "totp-invalid"
    assert expired.json()["details"]["codeGenerated"] is True
    assert len(inbox.codes_for("root@example.test")) == 2
    newest = inbox.last_code("root@example.test")
    assert (await rc.get(LIST_ALL, headers={**me, "x-2fa-code": newest})).status_code == 200


async def test_email_is_offered_only_with_smtp_a_verified_address_and_the_method_on(
    rc: httpx.AsyncClient,
    services: Services,
    rc_tenant: Tenant,
    rc_settings: Settings,
    inbox: Inbox,
    clock: FrozenClock,
) -> None:
    await make_user(services, rc_tenant, "nomail", roles=("admin",))
    await make_user(services, rc_tenant, "mailer", roles=("admin",), email_address="m@example.test")
    nomail, mailer = await login(rc, "nomail"), await login(rc, "mailer")
    for headers in (nomail, mailer):
        await rc.post("/api/v1/users.2fa.enableEmail", headers=headers)
    assert (await rc.get(LIST_ALL, headers=nomail)).json() == SEED_TOTP_REQUIRED
    offered = (await rc.get(LIST_ALL, headers=mailer)).json()["details"]
    assert (offered["method"], offered["availableMethods"]) == ("email", ["email"])

    no_smtp_settings = replace(rc_settings, smtp_url=None)
    no_smtp_services = await open_services(no_smtp_settings, clock=clock)
    try:
        async with app_client(no_smtp_settings, no_smtp_services) as no_smtp:
            plain = await no_smtp.get(LIST_ALL, headers={**mailer, "user-agent": "x"})
            assert plain.json() == SEED_TOTP_REQUIRED
    finally:
        await no_smtp_services.close()

    off = await rc.post("/api/v1/users.2fa.disableEmail", headers=mailer)
    assert off.json()["errorType"] == "totp-required"
    code = inbox.last_code("m@example.test")
    off = await rc.post("/api/v1/users.2fa.disableEmail", headers={**mailer, "x-2fa-code": code})
    assert off.json() == {"success": True}
    assert (
        await rc.get(LIST_ALL, headers={**mailer, "user-agent": "y"})
    ).json() == SEED_TOTP_REQUIRED


async def test_send_email_code_mails_only_users_with_the_method(
    rc: httpx.AsyncClient, root: None, inbox: Inbox
) -> None:
    me = await login(rc, "root")
    for who in ("root", "nobody", "root@example.test"):
        sent = await rc.post("/api/v1/users.2fa.sendEmailCode", json={"emailOrUsername": who})
        assert sent.json() == {"success": True}
    assert inbox.messages == []
    await rc.post("/api/v1/users.2fa.enableEmail", headers=me)
    await rc.post("/api/v1/users.2fa.sendEmailCode", json={"emailOrUsername": "root@example.test"})
    [message] = inbox.messages
    assert (message["Subject"], message["From"]) == ("Authentication code", "sessiond@example.test")
    missing = await rc.post("/api/v1/users.2fa.sendEmailCode", json={})
    assert (missing.status_code, missing.json()["errorType"]) == (400, "invalid-params")


async def test_ddp_methods_refuse_what_they_cannot_do(
    rc: httpx.AsyncClient, root: None, clock: FrozenClock
) -> None:
    me = await login(rc, "root")
    unknown = await call(rc, me, "2fa:nope")
    assert unknown["error"]["error"] == "404"
    assert (await call(rc, me, "2fa:disable", "123456"))["result"] is False
    assert (await call(rc, me, "2fa:validateTempToken", "123456"))["error"][
        "error"
    ] == "invalid-totp"
    await enrol_totp(rc, me, clock)
    twice = await call(rc, me, "2fa:enable")
    assert twice["error"]["error"] == "error-2fa-already-enabled"
    bad = await rc.post("/api/v1/method.call/2fa:enable", json={"message": "{"}, headers=me)
    assert (bad.status_code, bad.json()["errorType"]) == (400, "invalid-params")
    anonymous = await rc.post("/api/v1/method.call/2fa:enable", json={"message": "{}"})
    assert anonymous.status_code == 401
