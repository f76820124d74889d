"""Updating a user through the backend API: metadata that JSON cannot carry is refused, and a
suspension made through an update ends the user's sessions."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers.pxyz import Keyed, error_body, signed_up


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
        error_body(
            await http.put(f"/api/v0/auth/users/{user_id}", headers=headers, content=body), 400
        )
        create = b'{"tenantId": "' + a.pid.encode() + b'", "username": "m2", "' + key + b'": '
        error_body(
            await http.post("/api/v0/auth/users", headers=headers, content=create + meta + b"}"),
            400,
        )
    got = await http.get(f"/api/v0/auth/users/{user_id}", headers=a.auth)
    assert got.json()["data"]["publicMeta"] is None


async def test_suspending_through_an_update_ends_the_sessions(
    http: httpx.AsyncClient, a: Keyed
) -> None:
    data = await signed_up(http, a, "suspendme")
    user_id = data["sessionUser"]["id"]
    bearer = {**a.public, "authorization": f"Bearer {data['sessionToken']}"}
    assert (await http.get("/api/user/sessions", headers=bearer)).status_code == 200
    body = {"name": "Suspended Now", "status": "suspended"}
    updated = await http.put(f"/api/v0/auth/users/{user_id}", headers=a.auth, json=body)
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] == "suspended"
    assert updated.json()["name"] == "Suspended Now"
    error_body(await http.get("/api/user/sessions", headers=bearer), 401)
