"""Review findings on the pxyz door: what the frontend may reveal, edge-of-range cursors, the
SDK's own header names, cookie flags, and the refusals the document implies."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from sessiond.domain.user import Email
from sessiond.services.container import Services
from sessiond.services.users import NewUser
from sessiond.settings import Settings
from tests.api.pxyz.conftest import PASSWORD, Keyed
from tests.asgi import app_client

FROZEN_CLOCK: Any = {"verify_exp": False, "verify_iat": False}  # the tests' clock is not now


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "error", body
    assert isinstance(body["message"], str), body
    return body


async def _failed_staged_attempt(http: httpx.AsyncClient, a: Keyed, identifier: str) -> Any:
    start = {"strategy": "email_password", "identifier": identifier}
    started = await http.post("/api/sign-ins", headers=a.public, json=start)
    assert started.status_code == 201, started.text
    attempt_id = started.json()["data"]["signInAttempt"]["id"]
    url = f"/api/sign-ins/{attempt_id}/attempt-first-factor"
    _error(await http.post(url, headers=a.public, json={"password": "wrong-guess"}), 401)
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


@pytest.mark.parametrize("cursor", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
async def test_a_cursor_past_the_calendar_in_utc_is_400(
    http: httpx.AsyncClient, a: Keyed, cursor: str
) -> None:
    for url, params in (
        (f"/api/v0/tenants/{a.pid}/auth/sessions", {"cursor": cursor}),
        ("/api/v0/auth/users", {"cursor": cursor, "tenantId": a.pid}),
        ("/api/v0/auth/sign-ins", {"cursor": cursor, "tenantId": a.pid}),
    ):
        body = _error(await http.get(url, headers=a.auth, params=params), 400)
        assert "cursor" in body["message"]


@pytest.mark.parametrize(
    "meta", [b'{"a": 1e999}', b'{"a": NaN}', b'{"a": -Infinity}', b'{"a": "' + b"x" * 70000 + b'"}']
)
async def test_metadata_json_cannot_carry_is_400(
    http: httpx.AsyncClient, a: Keyed, meta: bytes
) -> None:
    created = await http.post(
        "/api/v0/auth/users", headers=a.auth, json={"tenantId": a.pid, "username": "meta"}
    )
    user_id = created.json()["id"]
    headers = {**a.auth, "content-type": "application/json"}
    for key in (b"publicMeta", b"privateMeta"):
        body = b'{"' + key + b'": ' + meta + b"}"
        _error(await http.put(f"/api/v0/auth/users/{user_id}", headers=headers, content=body), 400)
        create = b'{"tenantId": "' + a.pid.encode() + b'", "username": "m2", "' + key + b'": '
        _error(
            await http.post("/api/v0/auth/users", headers=headers, content=create + meta + b"}"),
            400,
        )
    got = await http.get(f"/api/v0/auth/users/{user_id}", headers=a.auth)
    assert got.json()["data"]["publicMeta"] is None


async def _signed_up(http: httpx.AsyncClient, a: Keyed, username: str) -> dict[str, Any]:
    up = {"strategy": "username_password", "username": username, "password": PASSWORD}
    created = await http.post("/api/sign-ups", headers=a.public, json=up)
    assert created.status_code == 201, created.text
    http.cookies.clear()
    data: dict[str, Any] = created.json()["data"]
    return data


async def test_deleting_an_ended_session_again_is_404(http: httpx.AsyncClient, a: Keyed) -> None:
    session_id = (await _signed_up(http, a, "twice"))["session"]["id"]
    url = f"/api/v0/auth/sessions/{session_id}"
    first = await http.delete(url, headers=a.auth)
    assert first.status_code == 200
    assert first.json() == {"deleted": True}
    _error(await http.delete(url, headers=a.auth), 404)


async def test_a_valid_bearer_wins_over_a_stale_cookie(http: httpx.AsyncClient, a: Keyed) -> None:
    token = (await _signed_up(http, a, "both"))["sessionToken"]
    headers = {**a.public, "authorization": f"Bearer {token}", "cookie": "__pxyz_session=stale"}
    mine = await http.get("/api/user/sessions", headers=headers)
    assert mine.status_code == 200, mine.text
    assert [s["current"] for s in mine.json()["data"]] == [True]
    stale_only = {**a.public, "cookie": "__pxyz_session=stale"}
    _error(await http.get("/api/user/sessions", headers=stale_only), 401)


async def test_the_sdks_own_key_headers_are_accepted(http: httpx.AsyncClient, a: Keyed) -> None:
    public = {"x-protocol-public-key": a.tenant.public_key}
    token = (await _signed_up(http, a, "sdk"))["sessionToken"]
    mine = await http.get(
        "/api/user/sessions", headers={**public, "authorization": f"Bearer {token}"}
    )
    assert mine.status_code == 200, mine.text
    secret = {"x-protocol-secret-key": a.key}
    listed = await http.get(f"/api/v0/tenants/{a.pid}/auth/sessions", headers=secret)
    assert listed.status_code == 200, listed.text
    assert listed.json()["meta"]["total"] == 1
    _error(
        await http.get(
            f"/api/v0/auth/tenants/{a.pid}", headers={"x-protocol-secret-key": "sk_nope"}
        ),
        401,
    )


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
    refused = _error(
        await http.post("/api/sign-ups", headers=a.public, json={**body, "password": PASSWORD}),
        400,
    )
    assert missing in refused["message"]
    users = await http.get("/api/v0/auth/users", headers=a.auth, params={"tenantId": a.pid})
    assert users.json()["meta"]["total"] == 0


async def test_the_first_factor_must_use_the_attempts_strategy(
    http: httpx.AsyncClient, a: Keyed
) -> None:
    await _signed_up(http, a, "strat")
    start = {"strategy": "username_password", "identifier": "strat"}
    attempt = (await http.post("/api/sign-ins", headers=a.public, json=start)).json()
    url = f"/api/sign-ins/{attempt['data']['signInAttempt']['id']}/attempt-first-factor"
    wrong = {"strategy": "email_password", "password": PASSWORD}
    body = _error(await http.post(url, headers=a.public, json=wrong), 400)
    assert "strategy" in body["message"]
    right = {"strategy": "username_password", "password": PASSWORD}
    done = await http.post(url, headers=a.public, json=right)
    assert done.status_code == 200, done.text
    assert done.json()["data"]["signInAttempt"]["status"] == "complete"


async def test_the_cookie_is_secure_behind_a_trusted_https_proxy(
    settings: Settings, services: Services, a: Keyed
) -> None:
    up = {"strategy": "username_password", "password": PASSWORD}
    forwarded = {**a.public, "x-forwarded-proto": "https"}
    async with app_client(settings, services, client=("127.0.0.1", 50000)) as http:
        trusted = await http.post("/api/sign-ups", headers=forwarded, json={**up, "username": "p1"})
        plain = await http.post("/api/sign-ups", headers=a.public, json={**up, "username": "p2"})
    assert "secure" in trusted.headers["set-cookie"].lower()
    assert "secure" not in plain.headers["set-cookie"].lower()
    async with app_client(settings, services) as http:  # a peer no one trusts
        spoofed = await http.post("/api/sign-ups", headers=forwarded, json={**up, "username": "p3"})
    assert "secure" not in spoofed.headers["set-cookie"].lower()


async def test_a_session_jwt_verifies_with_the_served_jwks(
    http: httpx.AsyncClient, a: Keyed, b: Keyed
) -> None:
    token = (await _signed_up(http, a, "jwks"))["sessionToken"]
    bearer = {**a.public, "authorization": f"Bearer {token}"}
    minted = (await http.post("/api/user/sessions/token", headers=bearer)).json()["data"]["jwt"]
    for domain in (a.tenant.slug, a.pid):
        served = await http.get(f"/api/.well-known/jwks/{domain}", headers=a.public)
        assert served.status_code == 200, served.text
        assert served.json()["status"] == "success"
        keys = jwt.PyJWKSet.from_dict(served.json()["data"])
        key = keys[jwt.get_unverified_header(minted)["kid"]]
        claims = jwt.decode(
            minted,
            key.key,
            algorithms=["EdDSA"],
            audience=a.pid,
            options=FROZEN_CLOCK,
        )
        assert claims["tid"] == a.pid
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(minted, key.key, algorithms=["EdDSA"], audience=b.pid, options=FROZEN_CLOCK)
    others = await http.get(f"/api/.well-known/jwks/{b.pid}", headers=b.public)
    other_key = jwt.PyJWKSet.from_dict(others.json()["data"]).keys[0]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            minted, other_key.key, algorithms=["EdDSA"], audience=a.pid, options=FROZEN_CLOCK
        )
    _error(await http.get(f"/api/.well-known/jwks/{b.pid}", headers=a.public), 404)
    _error(await http.get(f"/api/.well-known/jwks/{a.pid}"), 400)


async def test_a_tenant_keeps_the_environment_it_was_created_with(
    http: httpx.AsyncClient, services: Services, a: Keyed
) -> None:
    platform = {"authorization": f"Bearer {(await services.tenants.create_platform_key()).raw}"}
    for environment in ("development", "staging", "production"):
        body = {"name": f"Env {environment}", "environment": environment}
        created = await http.post("/api/v0/tenants", headers=platform, json=body)
        assert created.status_code == 200, created.text
        assert created.json()["environment"] == environment
        assert created.json()["slug"] == f"env-{environment}"
        got = await http.get(f"/api/v0/tenants/{created.json()['id']}", headers=platform)
        assert got.json()["environment"] == environment
    bad = {"name": "Env qa", "environment": "qa"}
    _error(await http.post("/api/v0/tenants", headers=platform, json=bad), 400)


async def test_suspending_through_an_update_ends_the_sessions(
    http: httpx.AsyncClient, a: Keyed
) -> None:
    data = await _signed_up(http, a, "suspendme")
    user_id = data["sessionUser"]["id"]
    bearer = {**a.public, "authorization": f"Bearer {data['sessionToken']}"}
    assert (await http.get("/api/user/sessions", headers=bearer)).status_code == 200
    body = {"name": "Suspended Now", "status": "suspended"}
    updated = await http.put(f"/api/v0/auth/users/{user_id}", headers=a.auth, json=body)
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] == "suspended"
    assert updated.json()["name"] == "Suspended Now"
    _error(await http.get("/api/user/sessions", headers=bearer), 401)
