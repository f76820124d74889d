"""The audit trail, on every backend: what a secret key does through the pxyz and Kratos doors is
recorded with the key and the address it came from, in the transaction of the change; what people
do to their own sessions, and what fails, is not."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import httpx
import pytest

from sessiond.domain.audit import Actor, ActorKind, AuditEntry
from sessiond.domain.errors import UserNotFound
from sessiond.domain.ids import render_pxyz
from sessiond.domain.tenant import Tenant
from sessiond.domain.user import Email, UserState
from sessiond.services import audit
from sessiond.services.container import Services
from sessiond.services.users import NewUser
from sessiond.settings import Settings
from tests.helpers.asgi import app_client
from tests.helpers.tenants import unique_slug

PASSWORD = "correct horse battery staple"
CLIENT_IP = "203.0.113.7"  # the peer address app_client gives every request


@dataclass(frozen=True)
class Admin:
    http: httpx.AsyncClient
    services: Services
    tenant: Tenant
    key_id: uuid.UUID
    headers: dict[str, str]
    user_id: uuid.UUID


@pytest.fixture
async def admin(settings: Settings, services: Services) -> AsyncIterator[Admin]:
    tenant = (await services.tenants.create(slug=unique_slug("audited"))).tenant
    key = await services.tenants.create_secret_key(tenant.id)
    new = NewUser(username="ada", password=PASSWORD, emails=(Email("ada@example.com", True),))
    user = await services.users.create(tenant.id, new)
    served = replace(settings, kratos_tenant=tenant.slug, rocketchat_tenant=tenant.slug)
    async with app_client(served, services) as http:
        headers = {"Authorization": f"Bearer {key.raw}"}
        yield Admin(http, services, tenant, key.key.id, headers, user.id)


async def _trail(admin: Admin) -> list[AuditEntry]:
    return await admin.services.audit.newest(tenant_id=admin.tenant.id, limit=100)


async def test_what_a_secret_key_does_is_recorded_with_the_key_and_its_address(
    admin: Admin,
) -> None:
    login = await admin.http.post("/api/v1/login", json={"user": "ada", "password": PASSWORD})
    assert login.status_code == 200, login.text
    revoked = await admin.http.delete(
        f"/admin/identities/{admin.user_id}/sessions", headers=admin.headers
    )
    assert revoked.status_code == 204, revoked.text
    user = render_pxyz(admin.user_id)
    suspended = await admin.http.put(f"/api/v0/auth/users/{user}/suspend", headers=admin.headers)
    assert suspended.status_code == 200, suspended.text

    trail = await _trail(admin)
    assert [(e.action, e.target) for e in trail] == [
        ("users.suspend", admin.user_id.hex),
        ("sessions.revoke_user", admin.user_id.hex),
    ]
    for entry in trail:
        assert entry.actor.kind is ActorKind.KEY
        assert entry.actor.id == admin.key_id.hex
        assert entry.actor.ip == CLIENT_IP
        assert entry.tenant_id == admin.tenant.id


async def test_people_ending_their_own_sessions_and_failed_actions_leave_no_entry(
    admin: Admin,
) -> None:
    login = await admin.http.post("/api/v1/login", json={"user": "ada", "password": PASSWORD})
    data = login.json()["data"]
    own = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}
    assert (await admin.http.post("/api/v1/logout", headers=own)).status_code == 200
    missing = render_pxyz(uuid.uuid4())
    gone = await admin.http.delete(f"/api/v0/auth/users/{missing}", headers=admin.headers)
    assert gone.status_code == 404
    assert await _trail(admin) == []


async def test_an_action_is_recorded_in_its_own_transaction_or_not_at_all(
    admin: Admin,
) -> None:
    acting = audit.ACTOR.set(Actor(ActorKind.CLI, "operator"))
    try:
        users = admin.services.users
        await users.set_state(admin.tenant.id, admin.user_id, UserState.SUSPENDED, by="cli")
        with pytest.raises(UserNotFound):
            await users.delete(admin.tenant.id, uuid.uuid4())
    finally:
        audit.ACTOR.reset(acting)
    [entry] = await _trail(admin)
    assert (entry.actor.kind, entry.actor.id, entry.actor.ip) == (ActorKind.CLI, "operator", None)
    assert entry.action == "users.suspend"
