"""Every backend operation through the real app, each answer validated against the document's
response schema (and its error schema for the refusals)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx

from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.helpers.asgi import app_client
from tests.helpers.pxyz import PASSWORD, Keyed, error_body, signed_up
from tests.helpers.pxyz_contract import check
from tests.helpers.tenants import unique_slug


async def _call(
    http: httpx.AsyncClient, tenant: Keyed, op: str, method: str, url: str, **kw: Any
) -> Any:
    response = await http.request(method, url, headers=tenant.auth, **kw)
    assert response.status_code == 200, (op, response.text)
    body = response.json()
    check(op, 200, body)
    return body


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _sign_in(http: httpx.AsyncClient, tenant: Keyed, identifier: str) -> dict[str, Any]:
    body = {"identifier": identifier, "strategy": "username_password", "password": PASSWORD}
    response = await http.post("/api/sign-ins", headers=tenant.public, json=body)
    assert response.status_code == 201, response.text
    http.cookies.clear()
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_users_and_their_sessions(http: httpx.AsyncClient, a: Keyed) -> None:
    new = {"tenantId": a.pid, "username": "grace", "email": "grace@example.com"}
    user = await _call(
        http,
        a,
        "auth-users-create",
        "POST",
        "/api/v0/auth/users",
        json={**new, "password": PASSWORD, "name": "Grace"},
    )
    assert user["username"] == "grace"
    assert user["emailAddresses"][0]["email"] == "grace@example.com"
    uid = user["id"]
    listed = await _call(
        http, a, "auth-users-list", "GET", "/api/v0/auth/users", params={"tenantId": a.pid}
    )
    assert [u["id"] for u in listed["data"]] == [uid]
    await _call(http, a, "auth-users-get", "GET", f"/api/v0/auth/users/{uid}")
    changed = await _call(
        http,
        a,
        "auth-users-update",
        "PUT",
        f"/api/v0/auth/users/{uid}",
        json={"name": "Grace H.", "publicMeta": {"team": "navy"}},
    )
    assert changed["name"] == "Grace H."
    assert changed["publicMeta"] == {"team": "navy"}

    signed = await _sign_in(http, a, "grace")
    sessions = await _call(
        http, a, "auth-sessions-listByUserId", "GET", f"/api/v0/auth/users/{uid}/sessions"
    )
    assert [s["id"] for s in sessions["data"]] == [signed["session"]["id"]]

    suspended = await _call(
        http, a, "auth-users-suspend", "PUT", f"/api/v0/auth/users/{uid}/suspend"
    )
    assert suspended["status"] == "suspended"
    after = await _call(
        http, a, "auth-sessions-listByUserId", "GET", f"/api/v0/auth/users/{uid}/sessions"
    )
    assert after["data"] == []
    back = await _call(
        http, a, "auth-users-unsuspend", "PUT", f"/api/v0/auth/users/{uid}/unsuspend"
    )
    assert back["status"] == "active"
    still = await _call(
        http, a, "auth-sessions-listByUserId", "GET", f"/api/v0/auth/users/{uid}/sessions"
    )
    assert still["data"] == []

    await _sign_in(http, a, "grace")
    await _call(
        http,
        a,
        "auth-users-changePassword",
        "PUT",
        f"/api/v0/auth/users/{uid}/change-password",
        json={"password": "a brand new secret", "endSessions": True},
    )
    ended = await _call(
        http, a, "auth-sessions-listByUserId", "GET", f"/api/v0/auth/users/{uid}/sessions"
    )
    assert ended["data"] == []
    old = await http.post(
        "/api/sign-ins",
        headers=a.public,
        json={"identifier": "grace", "strategy": "username_password", "password": PASSWORD},
    )
    assert old.status_code == 401

    deleted = await _call(http, a, "auth-users-delete", "DELETE", f"/api/v0/auth/users/{uid}")
    assert deleted == {"id": uid}
    gone = await http.get(f"/api/v0/auth/users/{uid}", headers=a.auth)
    assert gone.status_code == 404
    check("auth-users-get", 404, gone.json())


async def test_sign_in_and_sign_up_attempts(
    http: httpx.AsyncClient, services: Services, a: Keyed
) -> None:
    up = await http.post(
        "/api/sign-ups",
        headers=a.public,
        json={"strategy": "username_password", "username": "linus", "password": PASSWORD},
    )
    assert up.status_code == 201, up.text
    http.cookies.clear()
    await _sign_in(http, a, "linus")
    ins = await _call(
        http,
        a,
        "auth-signInAttempts-list",
        "GET",
        "/api/v0/auth/sign-ins",
        params={"tenantId": a.pid},
    )
    ups = await _call(
        http,
        a,
        "auth-signUpAttempts-list",
        "GET",
        "/api/v0/auth/sign-ups",
        params={"tenantId": a.pid},
    )
    [sign_in], [sign_up] = ins["data"], ups["data"]
    assert sign_up["id"] == up.json()["data"]["signUpAttempt"]["id"]
    assert sign_in["status"] == "complete"
    await _call(http, a, "auth-signInAttempts-get", "GET", f"/api/v0/auth/sign-ins/{sign_in['id']}")
    await _call(http, a, "auth-signUpAttempts-get", "GET", f"/api/v0/auth/sign-ups/{sign_up['id']}")
    sessions = await _call(
        http, a, "auth-sessions-list", "GET", f"/api/v0/tenants/{a.pid}/auth/sessions"
    )
    by_attempt = {s["signInAttemptId"] or s["signUpAttemptId"]: s for s in sessions["data"]}
    assert by_attempt[sign_up["id"]]["signUpAttempt"]["id"] == sign_up["id"]
    assert by_attempt[sign_in["id"]]["signInAttempt"]["id"] == sign_in["id"]
    for op, kind, attempt in (
        ("auth-signInAttempts-delete", "sign-ins", sign_in),
        ("auth-signUpAttempts-delete", "sign-ups", sign_up),
    ):
        assert await _call(http, a, op, "DELETE", f"/api/v0/auth/{kind}/{attempt['id']}") == {
            "deleted": True
        }
        missing = await http.get(f"/api/v0/auth/{kind}/{attempt['id']}", headers=a.auth)
        assert missing.status_code == 404
    sessions = await _call(
        http, a, "auth-sessions-list", "GET", f"/api/v0/tenants/{a.pid}/auth/sessions"
    )
    assert len(sessions["data"]) == 2


async def test_social_providers_show_their_secret_only_on_secret(
    http: httpx.AsyncClient, a: Keyed
) -> None:
    body = {
        "tenantId": a.pid,
        "providerKey": "github",
        "enabled": True,
        "clientId": "Iv1.abc",
        "clientSecret": "s3cr3t-value",
        "additionalScopes": ["read:user"],
    }
    created = await _call(
        http,
        a,
        "auth-instanceSocialProviders-create",
        "POST",
        "/api/v0/auth/tenant-social-providers",
        json=body,
    )
    pid = created["id"]
    twice = await http.post("/api/v0/auth/tenant-social-providers", headers=a.auth, json=body)
    assert twice.status_code == 409
    listed = await _call(
        http,
        a,
        "auth-instanceSocialProviders-list",
        "GET",
        "/api/v0/auth/tenant-social-providers",
        params={"tenantId": a.pid},
    )
    got = await _call(
        http,
        a,
        "auth-instanceSocialProviders-get",
        "GET",
        f"/api/v0/auth/tenant-social-providers/{pid}",
    )
    updated = await _call(
        http,
        a,
        "auth-instanceSocialProviders-update",
        "PUT",
        f"/api/v0/auth/tenant-social-providers/{pid}",
        json={"enabled": False, "redirectUri": "https://app.example/cb"},
    )
    assert updated["enabled"] is False
    assert updated["redirectUri"] == "https://app.example/cb"
    for shown in (created, got, updated, *listed):
        assert "s3cr3t-value" not in str(shown)
    secret = await _call(
        http,
        a,
        "auth-instanceSocialProviders-getSecret",
        "GET",
        f"/api/v0/auth/tenant-social-providers/{pid}/secret",
    )
    assert secret == {"secret": "s3cr3t-value"}
    assert await _call(
        http,
        a,
        "auth-instanceSocialProviders-delete",
        "DELETE",
        f"/api/v0/auth/tenant-social-providers/{pid}",
    ) == {"deleted": True}


SESSION_FIELDS = (
    "sessionMaximumLifetimeEnabled",
    "sessionMaximumLifetime",
    "sessionInactivityTimeoutEnabled",
    "sessionInactivityTimeout",
)


async def test_session_settings_can_be_written_back_as_read(
    http: httpx.AsyncClient, a: Keyed
) -> None:
    path = f"/api/v0/auth/tenants/{a.pid}"
    read = (await _call(http, a, "auth-tenants-get", "GET", path))["auth"]
    assert (read["sessionInactivityTimeoutEnabled"], read["sessionInactivityTimeout"]) == (False, 0)
    as_read = {name: read[name] for name in SESSION_FIELDS}
    op = "auth-tenants-updateSessionSettings"
    written = await _call(http, a, op, "PUT", f"{path}/session", json=as_read)
    assert {name: written["auth"][name] for name in SESSION_FIELDS} == as_read

    switched_on = {**as_read, "sessionInactivityTimeoutEnabled": True}
    refused = await http.put(f"{path}/session", headers=a.auth, json=switched_on)
    assert refused.status_code == 400
    assert "sessionInactivityTimeout" in refused.text


async def test_tenant_settings_stats_and_key_rotation(http: httpx.AsyncClient, a: Keyed) -> None:
    await http.post(
        "/api/sign-ups",
        headers=a.public,
        json={"strategy": "username_password", "username": "ken", "password": PASSWORD},
    )
    http.cookies.clear()
    tenant = await _call(http, a, "auth-tenants-get", "GET", f"/api/v0/auth/tenants/{a.pid}")
    assert tenant["auth"]["sessionMaximumLifetime"] == 24 * 60
    settings = {
        "sessionMaximumLifetimeEnabled": True,
        "sessionMaximumLifetime": 30,
        "sessionInactivityTimeoutEnabled": True,
        "sessionInactivityTimeout": 5,
    }
    changed = await _call(
        http,
        a,
        "auth-tenants-updateSessionSettings",
        "PUT",
        f"/api/v0/auth/tenants/{a.pid}/session",
        json=settings,
    )
    assert changed["auth"]["sessionMaximumLifetime"] == 30
    assert changed["auth"]["sessionInactivityTimeout"] == 5
    sessions = await _call(
        http, a, "auth-sessions-list", "GET", f"/api/v0/tenants/{a.pid}/auth/sessions"
    )
    [session] = sessions["data"]
    lifetime = _at(session["expiresAt"]) - _at(session["createdAt"])
    assert lifetime == timedelta(minutes=30)  # the live session was cut to the new maximum
    days = await _call(
        http,
        a,
        "auth-stats-sessionsByDay",
        "GET",
        "/api/v0/auth/stats/sessions-by-day",
        params={"tenantId": a.pid},
    )
    assert len(days) == 30
    assert days[-1]["count"] == 1
    assert sum(d["count"] for d in days) == 1

    await _call(http, a, "tenants-get", "GET", f"/api/v0/tenants/{a.pid}")
    by_slug = await _call(
        http, a, "tenants-getBySlug", "GET", f"/api/v0/tenants/slug/{a.tenant.slug}"
    )
    assert by_slug["id"] == a.pid
    assert by_slug["publicKey"] == a.tenant.public_key
    renamed = await _call(
        http, a, "tenants-update", "PUT", f"/api/v0/tenants/{a.pid}", json={"name": "Acme Corp"}
    )
    assert renamed["name"] == "Acme Corp"
    rotated = await _call(
        http, a, "tenants-rotateSecretKey", "POST", f"/api/v0/tenants/{a.pid}/rotate-secret-key"
    )
    old = await http.get(f"/api/v0/tenants/{a.pid}", headers=a.auth)
    assert old.status_code == 401
    check("tenants-get", 401, old.json())
    fresh = Keyed(a.tenant, rotated["secretKey"])
    assert await _call(http, fresh, "tenants-delete", "DELETE", f"/api/v0/tenants/{a.pid}") is True
    after = await http.get(f"/api/v0/tenants/{a.pid}", headers=fresh.auth)
    assert after.status_code == 401


async def test_tenants_are_created_and_listed_with_a_platform_key(
    http: httpx.AsyncClient, services: Services, a: Keyed
) -> None:
    platform = Keyed(a.tenant, (await services.tenants.create_platform_key()).raw)
    created = await _call(
        http,
        platform,
        "tenants-create",
        "POST",
        "/api/v0/tenants",
        json={"name": "Globex", "environment": "production"},
    )
    listed = await _call(http, platform, "tenants-list", "GET", "/api/v0/tenants")
    assert created["id"] in {t["id"] for t in listed}
    assert a.pid in {t["id"] for t in listed}
    for method, body in (("GET", None), ("POST", {"name": "Initech", "environment": "staging"})):
        refused = await http.request(method, "/api/v0/tenants", headers=a.auth, json=body)
        assert refused.status_code == 403
        check("tenants-list", 403, refused.json())
    users = await _call(
        http,
        platform,
        "auth-users-list",
        "GET",
        "/api/v0/auth/users",
        params={"tenantId": created["id"]},
    )
    assert users["data"] == []


async def test_errors_use_pxyz_shape(http: httpx.AsyncClient, a: Keyed) -> None:
    cases = [
        ("GET", f"/api/v0/tenants/{a.pid}/auth/sessions", {}, 401),
        ("GET", "/api/v0/auth/sessions/not-an-id", a.auth, 400),
        ("GET", "/api/v0/auth/sessions/c" + "0" * 32, a.auth, 404),
        ("GET", "/api/v0/no/such/thing", a.auth, 404),
        ("PATCH", f"/api/v0/tenants/{a.pid}/auth/sessions", a.auth, 405),
        ("POST", "/api/v0/auth/users", a.auth, 400),
    ]
    for method, url, headers, status in cases:
        response = await http.request(method, url, headers=headers)
        assert response.status_code == status, (url, response.text)
        body = response.json()
        check("auth-sessions-get", status, body)
        assert "detail" not in body
    taken = {"tenantId": a.pid, "username": "dup"}
    assert (await http.post("/api/v0/auth/users", headers=a.auth, json=taken)).status_code == 200
    again = await http.post("/api/v0/auth/users", headers=a.auth, json=taken)
    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"


async def test_the_configured_platform_key_reaches_every_tenant(
    settings: Settings, services: Services, a: Keyed
) -> None:
    served = (await services.tenants.create(slug=unique_slug("kratos"))).tenant
    configured = replace(
        settings, platform_key="pk_platform_from_settings_0123456789", kratos_tenant=served.slug
    )
    platform = Keyed(a.tenant, "pk_platform_from_settings_0123456789")
    async with app_client(configured, services) as http:
        up = {"strategy": "username_password", "username": "plat", "password": PASSWORD}
        made = (await http.post("/api/sign-ups", headers=a.public, json=up)).json()["data"]
        http.cookies.clear()
        sid = made["session"]["id"]
        got = await _call(
            http, platform, "auth-sessions-get", "GET", f"/api/v0/auth/sessions/{sid}"
        )
        assert got["tenantId"] == a.pid
        user = made["sessionUser"]["id"]
        await _call(http, platform, "auth-users-get", "GET", f"/api/v0/auth/users/{user}")
        await _call(http, platform, "tenants-list", "GET", "/api/v0/tenants")
        kept = await http.delete(f"/api/v0/tenants/c{served.id.hex}", headers=platform.auth)
        assert kept.status_code == 409
        check("tenants-delete", 409, kept.json())
        near = Keyed(a.tenant, "pk_platform_from_settings_012345678")
        assert (await http.get("/api/v0/tenants", headers=near.auth)).status_code == 401


async def test_a_body_that_is_not_json_is_400(http: httpx.AsyncClient, a: Keyed) -> None:
    for content in (b"{not json", b"[]", b'{"tenantId": 5}'):
        response = await http.post(
            "/api/v0/auth/users",
            headers={**a.auth, "content-type": "application/json"},
            content=content,
        )
        assert response.status_code == 400, response.text
        check("auth-users-create", 400, response.json())


async def test_deleting_an_ended_session_again_is_404(http: httpx.AsyncClient, a: Keyed) -> None:
    session_id = (await signed_up(http, a, "twice"))["session"]["id"]
    url = f"/api/v0/auth/sessions/{session_id}"
    first = await http.delete(url, headers=a.auth)
    assert first.status_code == 200
    assert first.json() == {"deleted": True}
    error_body(await http.delete(url, headers=a.auth), 404)


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
    error_body(await http.post("/api/v0/tenants", headers=platform, json=bad), 400)
