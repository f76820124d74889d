"""How the pxyz door reads credentials: a valid bearer before a stale cookie, the SDK's own key
headers, the Secure cookie behind a trusted HTTPS proxy, and session JWTs that verify with the
JWKS the door serves."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.helpers.asgi import app_client
from tests.helpers.pxyz import PASSWORD, Keyed, error_body, signed_up

FROZEN_CLOCK: Any = {"verify_exp": False, "verify_iat": False}  # the tests' clock is not now


async def test_a_valid_bearer_wins_over_a_stale_cookie(http: httpx.AsyncClient, a: Keyed) -> None:
    token = (await signed_up(http, a, "both"))["sessionToken"]
    headers = {**a.public, "authorization": f"Bearer {token}", "cookie": "__pxyz_session=stale"}
    mine = await http.get("/api/user/sessions", headers=headers)
    assert mine.status_code == 200, mine.text
    assert [s["current"] for s in mine.json()["data"]] == [True]
    stale_only = {**a.public, "cookie": "__pxyz_session=stale"}
    error_body(await http.get("/api/user/sessions", headers=stale_only), 401)


async def test_the_sdks_own_key_headers_are_accepted(http: httpx.AsyncClient, a: Keyed) -> None:
    public = {"x-protocol-public-key": a.tenant.public_key}
    token = (await signed_up(http, a, "sdk"))["sessionToken"]
    mine = await http.get(
        "/api/user/sessions", headers={**public, "authorization": f"Bearer {token}"}
    )
    assert mine.status_code == 200, mine.text
    secret = {"x-protocol-secret-key": a.key}
    listed = await http.get(f"/api/v0/tenants/{a.pid}/auth/sessions", headers=secret)
    assert listed.status_code == 200, listed.text
    assert listed.json()["meta"]["total"] == 1
    error_body(
        await http.get(
            f"/api/v0/auth/tenants/{a.pid}", headers={"x-protocol-secret-key": "sk_nope"}
        ),
        401,
    )


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
    token = (await signed_up(http, a, "jwks"))["sessionToken"]
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
    error_body(await http.get(f"/api/.well-known/jwks/{b.pid}", headers=a.public), 404)
    error_body(await http.get(f"/api/.well-known/jwks/{a.pid}"), 400)
