"""The issue's walk: sign in through /api/sign-ins from a browser, see the session in the seed's
list with its parsed device and IP, end it from the backend, and watch its token stop working."""

from __future__ import annotations

import httpx

from sessiond.domain.user import Email
from sessiond.services.container import Services
from sessiond.services.users import NewUser
from tests.helpers.pxyz import PASSWORD, Keyed
from tests.helpers.pxyz_contract import PXYZ_ID, check, check_seed_shape, check_session


async def _user(services: Services, tenant: Keyed, name: str = "ada") -> None:
    new = NewUser(username=name, password=PASSWORD, emails=(Email(f"{name}@example.com"),))
    await services.users.create(tenant.tenant.id, new)


async def test_a_browser_sign_in_is_listed_parsed_and_ends_on_delete(
    http: httpx.AsyncClient, services: Services, a: Keyed
) -> None:
    await _user(services, a)
    signed = await http.post(
        "/api/sign-ins",
        headers=a.public,
        json={"identifier": "ada@example.com", "strategy": "email_password", "password": PASSWORD},
    )
    assert signed.status_code == 201, signed.text
    data = signed.json()["data"]
    assert data["signInAttempt"]["status"] == "complete"
    token = data["sessionToken"]
    assert signed.cookies.get("__pxyz_session") == token
    check_session(data["session"])

    listed = await http.get(f"/api/v0/tenants/{a.pid}/auth/sessions", headers=a.auth)
    assert listed.status_code == 200
    body = listed.json()
    check("auth-sessions-list", 200, body)
    check_seed_shape(body)
    [session] = body["data"]
    assert PXYZ_ID.match(session["id"])
    assert session["id"] == data["session"]["id"]
    assert session["browser"] == "Chrome 113.0.0.0"
    assert session["os"] == "Windows 10"
    assert session["engine"] == "Blink 113.0.0.0"
    assert session["device"] is None
    assert session["ip"] == "203.0.113.7"
    assert session["ua"].startswith("Mozilla/5.0 (Windows NT 10.0")
    assert session["user"]["username"] == "ada"
    attempt = session["signInAttempt"]
    assert attempt["identifier"] == "ada@example.com"
    assert attempt["status"] == "complete"
    assert attempt["ipAddress"] == "203.0.113.7"
    assert attempt["oauthProvider"] is None
    assert body["meta"] == {
        "total": 1,
        "count": 1,
        "numPages": 1,
        "perPage": 10,
        "prev": None,
        "next": None,
    }

    mine = httpx.Headers({**a.public, "authorization": f"Bearer {token}"})
    http.cookies.clear()
    assert (await http.get("/api/user/sessions", headers=mine)).status_code == 200
    deleted = await http.delete(f"/api/v0/auth/sessions/{session['id']}", headers=a.auth)
    assert deleted.status_code == 200
    assert deleted.json() == {"deleted": True}
    check("auth-sessions-delete", 200, deleted.json())
    after = await http.get("/api/user/sessions", headers=mine)
    assert after.status_code == 401
    assert after.json()["status"] == "error"
    assert after.json()["code"] == "UNAUTHORIZED"
    gone = await http.get(f"/api/v0/tenants/{a.pid}/auth/sessions", headers=a.auth)
    assert gone.json()["data"] == []
    assert gone.json()["meta"]["total"] == 0
    kept = await http.get(f"/api/v0/auth/sessions/{session['id']}", headers=a.auth)
    assert kept.status_code == 200
    check("auth-sessions-get", 200, kept.json())


async def test_wrong_passwords_are_failed_sign_ins_in_the_list(
    http: httpx.AsyncClient, services: Services, a: Keyed
) -> None:
    await _user(services, a)
    for identifier in ("ada", "nobody@example.com"):
        wrong = await http.post(
            "/api/sign-ins",
            headers=a.public,
            json={"identifier": identifier, "strategy": "username_password", "password": "nope!"},
        )
        assert wrong.status_code == 401
        assert set(wrong.json()) == {"status", "message", "code"}
        check("auth-signInAttempts-list", 401, wrong.json())
    listed = await http.get("/api/v0/auth/sign-ins", params={"tenantId": a.pid}, headers=a.auth)
    assert listed.status_code == 200
    check("auth-signInAttempts-list", 200, listed.json())
    attempts = listed.json()["data"]
    assert [(x["identifier"], x["status"]) for x in attempts] == [
        ("nobody@example.com", "failed"),
        ("ada", "failed"),
    ]
    assert attempts[1]["userId"] is not None
    assert attempts[0]["userId"] is None
    assert attempts[0]["userAgent"].startswith("Mozilla/5.0")
    assert attempts[0]["ipAddress"]
