"""Tenant A's secret key against every backend endpoint naming tenant B or one of its resources:
always 404 (or 401 for a key that is no key), never B's data, and B exactly as it was."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers.pxyz import PASSWORD, Keyed
from tests.helpers.pxyz_contract import check


async def _resources(http: httpx.AsyncClient, b: Keyed) -> dict[str, str]:
    sign_up = {"strategy": "username_password", "username": "bob", "password": PASSWORD}
    up = (await http.post("/api/sign-ups", headers=b.public, json=sign_up)).json()["data"]
    sign_in = {"identifier": "bob", "strategy": "username_password", "password": PASSWORD}
    into = (await http.post("/api/sign-ins", headers=b.public, json=sign_in)).json()["data"]
    provider = await http.post(
        "/api/v0/auth/tenant-social-providers",
        headers=b.auth,
        json={"tenantId": b.pid, "providerKey": "google", "enabled": True, "clientSecret": "zz"},
    )
    webhook = await http.post(
        "/api/v0/webhooks",
        headers=b.auth,
        json={"tenantId": b.pid, "url": "https://hooks.example/b", "events": ["user.created"]},
    )
    http.cookies.clear()
    return {
        "webhook": webhook.json()["id"],
        "tenant": b.pid,
        "slug": b.tenant.slug,
        "user": up["sessionUser"]["id"],
        "session": into["session"]["id"],
        "sign_in": into["signInAttempt"]["id"],
        "sign_up": up["signUpAttempt"]["id"],
        "provider": provider.json()["id"],
    }


def _requests(r: dict[str, str]) -> list[tuple[str, str, Any]]:
    t, u, s = r["tenant"], r["user"], r["session"]
    q = f"?tenantId={t}"
    return [
        ("GET", f"/api/v0/tenants/{t}/auth/sessions", None),
        ("GET", f"/api/v0/auth/users/{u}/sessions", None),
        ("GET", f"/api/v0/auth/sessions/{s}", None),
        ("DELETE", f"/api/v0/auth/sessions/{s}", None),
        ("GET", f"/api/v0/auth/sign-ins{q}", None),
        ("GET", f"/api/v0/auth/sign-ins/{r['sign_in']}", None),
        ("DELETE", f"/api/v0/auth/sign-ins/{r['sign_in']}", None),
        ("GET", f"/api/v0/auth/sign-ups{q}", None),
        ("GET", f"/api/v0/auth/sign-ups/{r['sign_up']}", None),
        ("DELETE", f"/api/v0/auth/sign-ups/{r['sign_up']}", None),
        ("GET", f"/api/v0/auth/users{q}", None),
        ("POST", "/api/v0/auth/users", {"tenantId": t, "username": "mallory"}),
        ("GET", f"/api/v0/auth/users/{u}", None),
        ("PUT", f"/api/v0/auth/users/{u}", {"name": "pwned"}),
        ("PUT", f"/api/v0/auth/users/{u}/change-password", {"password": "pwned-pwned"}),
        ("PUT", f"/api/v0/auth/users/{u}/suspend", None),
        ("PUT", f"/api/v0/auth/users/{u}/unsuspend", None),
        ("DELETE", f"/api/v0/auth/users/{u}", None),
        ("GET", f"/api/v0/auth/tenant-social-providers{q}", None),
        (
            "POST",
            "/api/v0/auth/tenant-social-providers",
            {"tenantId": t, "providerKey": "github", "enabled": True},
        ),
        ("GET", f"/api/v0/auth/tenant-social-providers/{r['provider']}", None),
        ("GET", f"/api/v0/auth/tenant-social-providers/{r['provider']}/secret", None),
        ("PUT", f"/api/v0/auth/tenant-social-providers/{r['provider']}", {"enabled": False}),
        ("DELETE", f"/api/v0/auth/tenant-social-providers/{r['provider']}", None),
        ("GET", f"/api/v0/webhooks{q}", None),
        (
            "POST",
            "/api/v0/webhooks",
            {"tenantId": t, "url": "https://evil.example", "events": ["session.ended"]},
        ),
        ("GET", f"/api/v0/webhooks/{r['webhook']}", None),
        ("DELETE", f"/api/v0/webhooks/{r['webhook']}", None),
        ("GET", f"/api/v0/auth/tenants/{t}", None),
        ("PUT", f"/api/v0/auth/tenants/{t}/session", {"sessionInactivityTimeout": 1}),
        ("GET", f"/api/v0/auth/stats/sessions-by-day{q}", None),
        ("GET", f"/api/v0/tenants/{t}", None),
        ("GET", f"/api/v0/tenants/slug/{r['slug']}", None),
        ("PUT", f"/api/v0/tenants/{t}", {"name": "pwned tenant"}),
        ("POST", f"/api/v0/tenants/{t}/rotate-secret-key", None),
        ("DELETE", f"/api/v0/tenants/{t}", None),
    ]


async def _snapshot(http: httpx.AsyncClient, b: Keyed, r: dict[str, str]) -> list[Any]:
    q = {"tenantId": b.pid, "perPage": "100"}
    urls = [
        (f"/api/v0/tenants/{b.pid}/auth/sessions", {"perPage": "100"}),
        ("/api/v0/auth/sign-ins", q),
        ("/api/v0/auth/sign-ups", q),
        ("/api/v0/auth/users", q),
        ("/api/v0/auth/tenant-social-providers", {"tenantId": b.pid}),
        ("/api/v0/webhooks", {"tenantId": b.pid}),
        (f"/api/v0/auth/tenant-social-providers/{r['provider']}/secret", {}),
        (f"/api/v0/auth/tenants/{b.pid}", {}),
    ]
    seen = []
    for url, params in urls:
        response = await http.get(url, params=params, headers=b.auth)
        assert response.status_code == 200, response.text
        seen.append(response.json())
    return seen


async def test_a_tenant_key_reaches_nothing_of_another_tenant(
    http: httpx.AsyncClient, a: Keyed, b: Keyed
) -> None:
    found = await _resources(http, b)
    before = await _snapshot(http, b, found)
    for method, url, body in _requests(found):
        response = await http.request(method, url, headers=a.auth, json=body)
        assert response.status_code == 404, (method, url, response.status_code, response.text)
        check("auth-sessions-get", 404, response.json())
        for value in found.values():
            if value not in (found["tenant"], found["slug"]):
                assert value not in response.text
    no_key = {"authorization": "Bearer sk_not-a-real-key"}
    for method, url, body in _requests(found):
        response = await http.request(method, url, headers=no_key, json=body)
        assert response.status_code == 401, (method, url, response.text)
    assert await _snapshot(http, b, found) == before
    for method in ("GET", "POST"):
        listing = await http.request(
            method,
            "/api/v0/tenants",
            headers=a.auth,
            json={"name": "Evil", "environment": "production"},
        )
        assert listing.status_code == 403
        assert b.pid not in listing.text
