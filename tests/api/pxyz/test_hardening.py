"""Review findings on the pxyz door: what the frontend may reveal, edge-of-range cursors, the
SDK's own header names, cookie flags, and the refusals the document implies."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sessiond.domain.user import Email
from sessiond.services.container import Services
from sessiond.services.users import NewUser
from tests.api.pxyz.conftest import PASSWORD, Keyed


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "error" and isinstance(body["message"], str), body
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
    assert known["userId"] is None and known["user"] is None
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
