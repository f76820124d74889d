"""The frontend API: the two-step sign-in (and what a failed one reveals), the second factor,
sign-up, the caller's own sessions (cookie or bearer), ending the current one, and the per-tenant
JWT."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pyotp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sessiond.domain.user import Email
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.services.users import NewUser
from tests.helpers.pxyz import PASSWORD, Keyed, error_body, signed_up
from tests.helpers.pxyz_contract import check_session
from tests.helpers.users import enable_totp, wrong_code


async def test_a_user_with_totp_needs_the_second_factor(
    http: httpx.AsyncClient, services: Services, a: Keyed, clock: FrozenClock
) -> None:
    user = await services.users.create(
        a.tenant.id, NewUser(username="totp", password=PASSWORD, emails=(Email("t@example.com"),))
    )
    secret = await enable_totp(services, a.tenant, user)
    body = {"identifier": "totp", "strategy": "username_password", "password": PASSWORD}
    first = await http.post("/api/sign-ins", headers=a.public, json=body)
    assert first.status_code == 201
    data = first.json()["data"]
    assert data["signInAttempt"]["status"] == "needs_factor_two"
    assert data["session"] is None
    assert "__pxyz_session" not in first.cookies
    url = f"/api/sign-ins/{data['signInAttempt']['id']}/attempt-second-factor"
    wrong = await http.post(url, headers=a.public, json={"code": wrong_code(secret, clock)})
    assert wrong.status_code == 401
    code = pyotp.TOTP(secret).at(clock.now())
    right = await http.post(
        url, headers=a.public, json={"strategy": "authenticator_code", "code": code}
    )
    assert right.status_code == 200, right.text
    done = right.json()["data"]
    assert done["signInAttempt"]["status"] == "complete"
    check_session(done["session"])
    got = await http.get(f"/api/sign-ins/{data['signInAttempt']['id']}", headers=a.public)
    assert got.json()["data"]["signInAttempt"]["status"] == "complete"


async def test_my_sessions_mark_the_current_one_and_end_it(
    http: httpx.AsyncClient, a: Keyed
) -> None:
    up = {"strategy": "email_password", "email": "me@example.com", "password": PASSWORD}
    created = await http.post("/api/sign-ups", headers=a.public, json=up)
    assert created.status_code == 201, created.text
    assert created.json()["data"]["signUpAttempt"]["userId"]
    cookie_token = created.cookies["__pxyz_session"]
    http.cookies.clear()
    body = {"identifier": "me@example.com", "strategy": "email_password", "password": PASSWORD}
    other = (await http.post("/api/sign-ins", headers=a.public, json=body)).json()["data"]
    http.cookies.clear()

    http.cookies.set("__pxyz_session", cookie_token)
    mine = await http.get("/api/user/sessions", headers=a.public)
    assert mine.status_code == 200
    listed = mine.json()
    assert listed["meta"]["total"] == 2
    current = {s["id"]: s["current"] for s in listed["data"]}
    assert current == {created.json()["data"]["session"]["id"]: True, other["session"]["id"]: False}
    for item in listed["data"]:
        check_session(item, extra=("current",))

    ended = await http.delete("/api/user/sessions/end", headers=a.public)
    assert ended.status_code == 200
    assert ended.json()["data"]["session"]["id"] == created.json()["data"]["session"]["id"]
    http.cookies.set("__pxyz_session", cookie_token)
    assert (await http.get("/api/user/sessions", headers=a.public)).status_code == 401
    elsewhere = {**body, "tenantId": "c" + "1" * 32}
    assert (await http.post("/api/sign-ins", headers=a.public, json=elsewhere)).status_code == 404
    openapi = await http.get("/api/v0/openapi.json")
    assert openapi.status_code == 200
    assert "/api/v0/tenants/{tenantId}/auth/sessions" in openapi.json()["paths"]
    http.cookies.clear()
    bearer = {**a.public, "authorization": f"Bearer {other['sessionToken']}"}
    still = await http.get("/api/user/sessions", headers=bearer)
    assert [s["id"] for s in still.json()["data"]] == [other["session"]["id"]]


async def test_the_session_jwt_is_signed_with_the_tenants_key(
    http: httpx.AsyncClient, services: Services, a: Keyed, b: Keyed, clock: FrozenClock
) -> None:
    up = {"strategy": "username_password", "username": "jay", "password": PASSWORD}
    data = (await http.post("/api/sign-ups", headers=a.public, json=up)).json()["data"]
    http.cookies.clear()
    bearer = {**a.public, "authorization": f"Bearer {data['sessionToken']}"}
    issued = await http.post("/api/user/sessions/token", headers=bearer, json={"ttl": 120})
    assert issued.status_code == 200, issued.text
    token = issued.json()["data"]["jwt"]
    assert issued.json()["data"]["sessionUser"]["sessionId"] == data["session"]["id"]
    jwk = await services.signer.public_jwk(a.tenant.id)
    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "=="))
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    assert header["kid"] == jwk["kid"]
    claims = jwt.decode(
        token,
        public,
        algorithms=["EdDSA"],
        audience=a.pid,
        options={"verify_iat": False, "verify_exp": False},
    )
    assert claims["sid"] == data["session"]["id"]
    assert claims["sub"] == data["session"]["userId"]
    assert claims["exp"] - claims["iat"] == 120
    verified = await services.signer.verify(a.tenant.id, token, audience=a.pid)
    assert verified["sid"] == claims["sid"]
    other = await services.signer.public_jwk(b.tenant.id)
    assert other["x"] != jwk["x"]
    refused = await http.post("/api/user/sessions/token", headers=bearer, json={"ttl": 99999})
    assert refused.status_code == 400
    wrong_tenant = {**b.public, "authorization": f"Bearer {data['sessionToken']}"}
    assert (await http.post("/api/user/sessions/token", headers=wrong_tenant)).status_code == 401


async def test_frontend_refusals(http: httpx.AsyncClient, a: Keyed) -> None:
    body = {"identifier": "x", "strategy": "username_password", "password": "y"}
    no_key = await http.post("/api/sign-ins", json=body)
    assert no_key.status_code == 400
    unknown = await http.post("/api/sign-ins", headers={"x-public-key": "pk_nope"}, json=body)
    assert unknown.status_code == 404
    bad = await http.post("/api/sign-ins", headers=a.public, json={**body, "strategy": "oauth"})
    assert bad.status_code == 400
    assert set(bad.json()) == {"status", "message", "code", "issues"}
    assert (await http.get("/api/user/sessions", headers=a.public)).status_code == 401
    taken = {"strategy": "username_password", "username": "dup", "password": PASSWORD}
    assert (await http.post("/api/sign-ups", headers=a.public, json=taken)).status_code == 201
    http.cookies.clear()
    again = await http.post("/api/sign-ups", headers=a.public, json=taken)
    assert again.status_code == 409


async def test_the_two_step_sign_in_keeps_one_attempt(
    http: httpx.AsyncClient, services: Services, a: Keyed, clock: FrozenClock
) -> None:
    await services.users.create(a.tenant.id, NewUser(username="two", password=PASSWORD))
    start = {"identifier": "two", "strategy": "username_password"}
    started = await http.post("/api/sign-ins", headers=a.public, json=start)
    assert started.status_code == 201, started.text
    attempt = started.json()["data"]["signInAttempt"]
    assert attempt["status"] == "needs_factor_one"
    assert attempt["userId"] is None
    base = f"/api/sign-ins/{attempt['id']}"
    prepared = await http.post(f"{base}/prepare-first-factor", headers=a.public)
    assert prepared.json()["data"]["signInAttempt"]["status"] == "needs_factor_one"
    password = {"strategy": "username_password", "password": PASSWORD}
    done = await http.post(f"{base}/attempt-first-factor", headers=a.public, json=password)
    assert done.status_code == 200, done.text
    data = done.json()["data"]
    assert data["signInAttempt"]["id"] == attempt["id"]
    assert data["signInAttempt"]["status"] == "complete"
    assert data["session"]["signInAttemptId"] == attempt["id"]
    assert done.cookies["__pxyz_session"] == data["sessionToken"]
    again = await http.post(f"{base}/attempt-first-factor", headers=a.public, json=password)
    assert again.status_code == 404

    other = await http.post("/api/sign-ins", headers=a.public, json=start)
    other_base = f"/api/sign-ins/{other.json()['data']['signInAttempt']['id']}"
    wrong = {"password": "not it at all"}
    refused = await http.post(f"{other_base}/attempt-first-factor", headers=a.public, json=wrong)
    assert refused.status_code == 401
    failed = (await http.get(other_base, headers=a.public)).json()["data"]["signInAttempt"]
    assert failed["status"] == "failed"
    retry = await http.post(f"{other_base}/attempt-first-factor", headers=a.public, json=password)
    assert retry.status_code == 404

    late = await http.post("/api/sign-ins", headers=a.public, json=start)
    clock.advance(timedelta(minutes=11))
    late_base = f"/api/sign-ins/{late.json()['data']['signInAttempt']['id']}"
    expired = await http.post(f"{late_base}/attempt-first-factor", headers=a.public, json=password)
    assert expired.status_code == 404


async def test_two_steps_then_the_second_factor(
    http: httpx.AsyncClient, services: Services, a: Keyed, clock: FrozenClock
) -> None:
    user = await services.users.create(a.tenant.id, NewUser(username="tt", password=PASSWORD))
    secret = await enable_totp(services, a.tenant, user)
    start = {"identifier": "tt", "strategy": "username_password"}
    attempt = (await http.post("/api/sign-ins", headers=a.public, json=start)).json()["data"]
    base = f"/api/sign-ins/{attempt['signInAttempt']['id']}"
    first = await http.post(
        f"{base}/attempt-first-factor", headers=a.public, json={"password": PASSWORD}
    )
    assert first.json()["data"]["signInAttempt"]["status"] == "needs_factor_two"
    assert first.json()["data"]["session"] is None
    code = {"code": pyotp.TOTP(secret).at(clock.now())}
    second = await http.post(f"{base}/attempt-second-factor", headers=a.public, json=code)
    assert second.status_code == 200, second.text
    assert second.json()["data"]["signInAttempt"]["status"] == "complete"
    assert second.json()["data"]["session"]["signInAttemptId"] == attempt["signInAttempt"]["id"]


async def test_the_frontend_never_shows_private_metadata(
    http: httpx.AsyncClient, services: Services, a: Keyed
) -> None:
    new = NewUser(username="meta", password=PASSWORD, metadata_admin={"plan": "secret-tier"})
    user = await services.users.create(a.tenant.id, new)
    body = {"identifier": "meta", "strategy": "username_password", "password": PASSWORD}
    signed = await http.post("/api/sign-ins", headers=a.public, json=body)
    assert signed.status_code == 201
    mine = await http.get("/api/user/sessions", headers=a.public)
    token = await http.post("/api/user/sessions/token", headers=a.public)
    for response in (signed, mine, token):
        assert "secret-tier" not in response.text
    admin = await http.get(f"/api/v0/auth/users/c{user.id.hex}", headers=a.auth)
    assert admin.json()["data"]["privateMeta"] == {"plan": "secret-tier"}


async def _failed_staged_attempt(http: httpx.AsyncClient, a: Keyed, identifier: str) -> Any:
    start = {"strategy": "email_password", "identifier": identifier}
    started = await http.post("/api/sign-ins", headers=a.public, json=start)
    assert started.status_code == 201, started.text
    attempt_id = started.json()["data"]["signInAttempt"]["id"]
    url = f"/api/sign-ins/{attempt_id}/attempt-first-factor"
    error_body(await http.post(url, headers=a.public, json={"password": "wrong-guess"}), 401)
    got = await http.get(f"/api/sign-ins/{attempt_id}", headers=a.public)
    assert got.status_code == 200, got.text
    return got.json()["data"]["signInAttempt"]


async def test_a_failed_first_factor_reveals_no_user(
    http: httpx.AsyncClient, services: Services, a: Keyed
) -> None:
    await services.users.create(
        a.tenant.id,
        NewUser(username="victim", password=PASSWORD, emails=(Email("victim@example.com"),)),
    )
    known = await _failed_staged_attempt(http, a, "victim@example.com")
    unknown = await _failed_staged_attempt(http, a, "nobody@example.com")
    assert known["userId"] is None
    assert known["user"] is None
    differ = {"id", "identifier", "createdAt", "updatedAt"}
    assert {k: v for k, v in known.items() if k not in differ} == {
        k: v for k, v in unknown.items() if k not in differ
    }
    admin = await http.get(f"/api/v0/auth/sign-ins/{known['id']}", headers=a.auth)
    assert admin.json()["userId"] is not None  # the secret key's view keeps the audit trail


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({"strategy": "username_password", "email": "only@example.com"}, "username"),
        ({"strategy": "email_password", "username": "onlyname"}, "email"),
    ],
)
async def test_a_sign_up_needs_its_strategys_identifier(
    http: httpx.AsyncClient, a: Keyed, body: dict[str, str], missing: str
) -> None:
    refused = error_body(
        await http.post("/api/sign-ups", headers=a.public, json={**body, "password": PASSWORD}),
        400,
    )
    assert missing in refused["message"]
    users = await http.get("/api/v0/auth/users", headers=a.auth, params={"tenantId": a.pid})
    assert users.json()["meta"]["total"] == 0


async def test_the_first_factor_must_use_the_attempts_strategy(
    http: httpx.AsyncClient, a: Keyed
) -> None:
    await signed_up(http, a, "strat")
    start = {"strategy": "username_password", "identifier": "strat"}
    attempt = (await http.post("/api/sign-ins", headers=a.public, json=start)).json()
    url = f"/api/sign-ins/{attempt['data']['signInAttempt']['id']}/attempt-first-factor"
    wrong = {"strategy": "email_password", "password": PASSWORD}
    body = error_body(await http.post(url, headers=a.public, json=wrong), 400)
    assert "strategy" in body["message"]
    right = {"strategy": "username_password", "password": PASSWORD}
    done = await http.post(url, headers=a.public, json=right)
    assert done.status_code == 200, done.text
    assert done.json()["data"]["signInAttempt"]["status"] == "complete"
