"""login, logout, me, info and users.create through the real app, on every backend."""

from __future__ import annotations

import dataclasses
import hashlib

import argon2
import httpx

from sessiond.domain.tenant import Tenant
from sessiond.services.container import Services
from tests.helpers.rocketchat import PASSWORD, login, make_user

UNAUTHORIZED = {"status": "error", "error": "Unauthorized", "message": "Unauthorized"}
DIGEST = {"digest": hashlib.sha256(PASSWORD.encode()).hexdigest(), "algorithm": "sha-256"}


async def test_login_by_username_email_or_digest(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant
) -> None:
    user = await make_user(services, rc_tenant, "alice", name="Alice", email_address="a@x.io")

    for body in (
        {"username": "alice", "password": PASSWORD},
        {"user": "a@x.io", "password": PASSWORD},
        {"user": "alice", "password": DIGEST},
        {"email": "A@X.io", "password": PASSWORD},
    ):
        answer = await rc.post("/api/v1/login", json=body)
        assert answer.status_code == 200, (body, answer.text)
        data = answer.json()["data"]
        assert answer.json()["status"] == "success"
        assert data["userId"] == user.id.hex
        assert len(data["authToken"]) >= 32
        assert data["me"]["username"] == "alice"
        assert data["me"]["emails"] == [{"address": "a@x.io", "verified": True}]


async def test_login_failures(rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant) -> None:
    await make_user(services, rc_tenant, "alice")
    for body in (
        {"username": "alice", "password": "wrong password"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "alice", "password": {"digest": "ab" * 32, "algorithm": "sha-256"}},
        {"username": "alice", "password": {"digest": "short", "algorithm": "sha-256"}},
    ):
        answer = await rc.post("/api/v1/login", json=body)
        assert (answer.status_code, answer.json()) == (401, UNAUTHORIZED), body
    for body in (
        {"password": PASSWORD},
        {"username": "alice"},
        {"username": "alice", "password": {"digest": "ab", "algorithm": "md5"}},
        {"username": "alice", "password": PASSWORD, "resume": "x"},
    ):
        answer = await rc.post("/api/v1/login", json=body)
        assert (answer.status_code, answer.json()["errorType"]) == (400, "invalid-params"), body


async def test_an_old_plain_argon2_hash_is_upgraded_so_digests_work(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant
) -> None:
    user = await make_user(services, rc_tenant, "alice")
    legacy = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    async with services.deps.store.unit_of_work() as uow:
        await uow.users.update(dataclasses.replace(user, password_hash=legacy))
        await uow.commit()

    by_digest = {"username": "alice", "password": DIGEST}
    assert (await rc.post("/api/v1/login", json=by_digest)).status_code == 401
    await login(rc, "alice")
    assert (await rc.post("/api/v1/login", json=by_digest)).status_code == 200
    stored = await services.users.get(rc_tenant.id, user.id)
    assert stored.password_hash is not None
    assert stored.password_hash.startswith("sha256:$argon2id$")


async def test_logout_me_and_info(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant
) -> None:
    await make_user(services, rc_tenant, "alice", name="Alice")
    me = await login(rc, "alice")

    info = await rc.get("/api/info")
    assert info.json() == {"version": "6.5.0", "success": True}
    mine = await rc.get("/api/v1/me", headers=me)
    assert mine.status_code == 200
    body = mine.json()
    assert {k: body[k] for k in ("_id", "username", "name", "roles", "emails", "success")} == {
        "_id": me["X-User-Id"],
        "username": "alice",
        "name": "Alice",
        "roles": ["user"],
        "emails": [],
        "success": True,
    }
    out = await rc.post("/api/v1/logout", headers=me)
    assert out.json() == {"status": "success", "data": {"message": "You've been logged out!"}}
    assert (await rc.get("/api/v1/me", headers=me)).status_code == 401
    assert (await rc.post("/api/v1/logout", headers=me)).status_code == 401


async def test_users_create_needs_the_permission_and_assigns_roles(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant
) -> None:
    await make_user(services, rc_tenant, "root", roles=("admin",))
    root = await login(rc, "root")
    body = {
        "email": "carol@x.io",
        "name": "Carol",
        "password": PASSWORD,
        "username": "carol",
        "roles": ["admin"],
    }

    created = await rc.post("/api/v1/users.create", json=body, headers=root)
    assert created.status_code == 200, created.text
    user = created.json()["user"]
    assert (user["username"], user["name"], user["roles"]) == ("carol", "Carol", ["admin"])
    assert user["emails"] == [{"address": "carol@x.io", "verified": False}]
    carol = await login(rc, "carol")
    assert (await rc.get("/api/v1/sessions/list.all", headers=carol)).status_code == 400

    taken = await rc.post("/api/v1/users.create", json=body, headers=root)
    assert (taken.status_code, taken.json()["errorType"]) == (400, "error-field-unavailable")
    for bad in (
        {**body, "username": "dave", "email": "d@x.io", "password": "short"},
        {**body, "username": "dave", "email": "d@x.io", "roles": "admin"},
        {**body, "username": "dave", "email": "d@x.io", "extra": 1},
        {"username": "dave"},
    ):
        refused = await rc.post("/api/v1/users.create", json=bad, headers=root)
        assert (refused.status_code, refused.json()["errorType"]) == (400, "invalid-params"), bad
