"""One store, three doors: a session signed in through any door is listed by the other two for the
same tenant, and ending it through any door ends it in every door. Through the real ASGI app with
all three doors mounted, on every backend."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import httpx
import pytest

from sessiond.domain.ids import render_hex, render_pxyz
from sessiond.domain.tenant import Tenant
from sessiond.domain.user import Email
from sessiond.services.container import Services
from sessiond.services.users import NewUser
from sessiond.settings import Settings
from tests.helpers.asgi import app_client
from tests.helpers.events import events_of
from tests.helpers.tenants import unique_slug

PASSWORD = "correct horse battery staple"
EMAIL = "ada@example.com"
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/113.0.0.0 Safari/537.36"
)


@dataclass(frozen=True)
class World:
    http: httpx.AsyncClient
    tenant: Tenant
    secret: str
    user_id: uuid.UUID

    @property
    def bearer(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.secret}"}


@dataclass(frozen=True)
class Signed:
    door: str
    session_id: uuid.UUID
    token: str


@pytest.fixture
async def world(settings: Settings, services: Services) -> AsyncIterator[World]:
    created = await services.tenants.create(slug=unique_slug("cross"))
    tenant = created.tenant
    secret = (await services.tenants.create_secret_key(tenant.id)).raw
    user = await services.users.create(
        tenant.id,
        NewUser(username="ada", password=PASSWORD, emails=(Email(EMAIL, verified=True),)),
    )
    doors = replace(settings, kratos_tenant=tenant.slug, rocketchat_tenant=tenant.slug)
    async with app_client(doors, services) as http:
        yield World(http=http, tenant=tenant, secret=secret, user_id=user.id)


async def _via_pxyz(world: World) -> Signed:
    answer = await world.http.post(
        "/api/sign-ins",
        headers={"x-public-key": world.tenant.public_key, "user-agent": BROWSER},
        json={"identifier": EMAIL, "strategy": "email_password", "password": PASSWORD},
    )
    assert answer.status_code == 201, answer.text
    data = answer.json()["data"]
    return Signed("pxyz", uuid.UUID(hex=data["session"]["id"][1:]), data["sessionToken"])


async def _via_kratos(world: World) -> Signed:
    flow = await world.http.get("/self-service/login/api", headers={"user-agent": BROWSER})
    assert flow.status_code == 200, flow.text
    answer = await world.http.post(
        f"/self-service/login?flow={flow.json()['id']}",
        headers={"user-agent": BROWSER},
        json={"method": "password", "identifier": "ada", "password": PASSWORD},
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()
    return Signed("kratos", uuid.UUID(data["session"]["id"]), data["session_token"])


async def _via_rocketchat(world: World) -> Signed:
    answer = await world.http.post(
        "/api/v1/login",
        headers={"user-agent": BROWSER},
        json={"user": "ada", "password": PASSWORD},
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["userId"] == render_hex(world.user_id)
    # Rocket.Chat's login answer names no session: the caller's own listing marks it `current`.
    listed = await world.http.get(
        "/api/v1/sessions/list", headers=_rc_auth(world, data["authToken"])
    )
    [current] = [item for item in listed.json()["sessions"] if item["current"]]
    return Signed("rocketchat", uuid.UUID(hex=current["sessionId"]), data["authToken"])


def _rc_auth(world: World, token: str) -> dict[str, str]:
    return {"X-User-Id": render_hex(world.user_id), "X-Auth-Token": token}


async def _listed_by_pxyz(world: World) -> set[uuid.UUID]:
    tenant = render_pxyz(world.tenant.id)
    answer = await world.http.get(
        f"/api/v0/tenants/{tenant}/auth/sessions", params={"perPage": "100"}, headers=world.bearer
    )
    assert answer.status_code == 200, answer.text
    return {uuid.UUID(hex=item["id"][1:]) for item in answer.json()["data"]}


async def _listed_by_kratos(world: World) -> set[uuid.UUID]:
    answer = await world.http.get(
        f"/admin/identities/{world.user_id}/sessions",
        params={"active": "true"},
        headers=world.bearer,
    )
    assert answer.status_code == 200, answer.text
    return {uuid.UUID(item["id"]) for item in answer.json()}


async def _listed_by_rocketchat(world: World, caller: Signed) -> set[uuid.UUID]:
    answer = await world.http.get("/api/v1/sessions/list", headers=_rc_auth(world, caller.token))
    assert answer.status_code == 200, answer.text
    return {uuid.UUID(hex=item["sessionId"]) for item in answer.json()["sessions"]}


async def _live_in(world: World, signed: Signed) -> dict[str, int]:
    """The status each door's own "who am I" answers for `signed`'s token."""
    pxyz = await world.http.get(
        "/api/user/sessions",
        headers={
            "x-public-key": world.tenant.public_key,
            "authorization": f"Bearer {signed.token}",
        },
    )
    kratos = await world.http.get("/sessions/whoami", headers={"X-Session-Token": signed.token})
    rocketchat = await world.http.get("/api/v1/me", headers=_rc_auth(world, signed.token))
    return {
        "pxyz": pxyz.status_code,
        "kratos": kratos.status_code,
        "rocketchat": rocketchat.status_code,
    }


LIVE = {"pxyz": 200, "kratos": 200, "rocketchat": 200}
ENDED = {"pxyz": 401, "kratos": 401, "rocketchat": 401}


async def test_every_door_lists_and_serves_the_sessions_of_the_others(world: World) -> None:
    signed = [await _via_pxyz(world), await _via_kratos(world), await _via_rocketchat(world)]
    ids = {s.session_id for s in signed}
    assert len(ids) == 3

    assert await _listed_by_pxyz(world) == ids
    assert await _listed_by_kratos(world) == ids
    assert await _listed_by_rocketchat(world, signed[2]) == ids
    for each in signed:
        assert await _live_in(world, each) == LIVE, each.door


async def _end_via_pxyz(world: World, signed: Signed) -> None:
    deleted = await world.http.delete(
        f"/api/v0/auth/sessions/{render_pxyz(signed.session_id)}", headers=world.bearer
    )
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"deleted": True}


async def _end_via_kratos(world: World, signed: Signed) -> None:
    disabled = await world.http.delete(f"/admin/sessions/{signed.session_id}", headers=world.bearer)
    assert disabled.status_code == 204, disabled.text


async def _end_via_rocketchat(world: World, signed: Signed) -> None:
    # The user's own Rocket.Chat device ends another of the user's sessions.
    caller = await _via_rocketchat(world)
    ended = await world.http.post(
        "/api/v1/sessions/logout.me",
        headers=_rc_auth(world, caller.token),
        json={"sessionId": render_hex(signed.session_id)},
    )
    assert ended.status_code == 200, ended.text
    assert ended.json() == {"sessionId": render_hex(signed.session_id), "success": True}


SIGN_IN = {"pxyz": _via_pxyz, "kratos": _via_kratos, "rocketchat": _via_rocketchat}
END = {"pxyz": _end_via_pxyz, "kratos": _end_via_kratos, "rocketchat": _end_via_rocketchat}
PAIRS = [(maker, ender) for maker in SIGN_IN for ender in END if maker != ender]


@pytest.mark.parametrize(("maker", "ender"), PAIRS, ids=[f"{m}-by-{e}" for m, e in PAIRS])
async def test_ending_a_session_through_any_door_ends_it_in_every_door(
    world: World, maker: str, ender: str
) -> None:
    signed = await SIGN_IN[maker](world)
    bystander = await _via_kratos(world)
    assert await _live_in(world, signed) == LIVE

    await END[ender](world, signed)

    assert await _live_in(world, signed) == ENDED
    assert await _live_in(world, bystander) == LIVE
    assert signed.session_id not in await _listed_by_pxyz(world)
    assert signed.session_id not in await _listed_by_kratos(world)
    assert bystander.session_id in await _listed_by_pxyz(world)


async def test_every_door_writes_the_same_events(world: World, services: Services) -> None:
    signed = [await _via_pxyz(world), await _via_kratos(world), await _via_rocketchat(world)]
    await _end_via_pxyz(world, signed[1])
    await _end_via_kratos(world, signed[2])
    found = await events_of(services, world.tenant)
    created = {payload["session_id"] for kind, payload in found if kind == "session.created"}
    ended = {(p["session_id"], p["reason"]) for kind, p in found if kind == "session.ended"}
    assert created == {str(s.session_id) for s in signed}
    assert ended == {(str(s.session_id), "revoked_by_admin") for s in signed[1:]}
