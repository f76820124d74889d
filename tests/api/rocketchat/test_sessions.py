"""sessions/* through the real app, on every backend: the seeds' shapes, paging, sort, filter,
liveness, permissions and every error body."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import httpx
import pytest

from sessiond.domain.listing import SessionQuery
from sessiond.domain.session import EndReason
from sessiond.domain.tenant import Tenant
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from tests.helpers.rocketchat import CHROME, PASSWORD, login, make_user
from tests.helpers.rocketchat_wire import (
    SEED_FORBIDDEN,
    SEED_LIST,
    SEED_LIST_ALL_ITEM,
    item_shape,
    shape,
)

ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/112.0.0.0 Mobile Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:112.0) Gecko/20100101 Firefox/112.0"
SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.4 Safari/605.1.15"
)
RC_MOBILE = "RC Mobile; iOS 12.2; v3.4.0 (250)"
RC_DESKTOP = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_1) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Rocket.Chat/2.15.2 Chrome/69.0.3497.128 Electron/4.1.4 Safari/537.36"
)
NOT_LOGGED_IN = {
    "success": False,
    "status": "error",
    "error": "You must be logged in to do this.",
    "message": "You must be logged in to do this.",
}
INVALID_PARAMS = {
    "success": False,
    "error": "must NOT have additional properties [invalid-params]",
    "errorType": "invalid-params",
}


def password_code() -> dict[str, str]:
    digest = hashlib.sha256(PASSWORD.encode()).hexdigest()
    return {"x-2fa-code": digest, "x-2fa-method": "password"}


async def logins(
    rc: httpx.AsyncClient, clock: FrozenClock, username: str, agents: list[str]
) -> list[dict[str, str]]:
    found = []
    for agent in agents:
        clock.advance(timedelta(seconds=1))
        found.append(await login(rc, username, user_agent=agent))
    return found


@pytest.fixture
async def admin(services: Services, rc_tenant: Tenant) -> dict[str, str]:
    await make_user(services, rc_tenant, "root", roles=("admin",), name="Root Admin")
    return {}


async def test_list_matches_the_seed_field_for_field(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant, clock: FrozenClock
) -> None:
    await make_user(services, rc_tenant, "alice", name="Alice")
    windows, android = await logins(rc, clock, "alice", [CHROME, ANDROID])

    answer = await rc.get("/api/v1/sessions/list", headers=android)

    assert answer.status_code == 200
    body = answer.json()
    assert shape({**body, "sessions": body["sessions"][:1]}) == {
        **shape(SEED_LIST),
        "sessions": [item_shape(SEED_LIST["sessions"][0])],  # type: ignore[index]
    }
    newest, oldest = body["sessions"]
    assert (body["total"], body["count"], body["offset"]) == (2, 50, 0)
    assert newest["device"] == {
        "type": "mobile",
        "name": "Chrome",
        "longVersion": "112.0.0.0",
        "os": {"name": "Android", "version": "10"},
        "version": "112.0.0",
    }
    assert oldest["device"] == SEED_LIST["sessions"][0]["device"]  # type: ignore[index]
    assert newest["sessionId"] == newest["_id"]
    assert (newest["current"], oldest["current"]) == (True, False)
    assert newest["userId"] == android["X-User-Id"]
    assert (newest["host"], newest["ip"]) == ("sessiond.test", "203.0.113.7")
    assert newest["loginAt"] == "2026-07-31T10:11:14.123Z"
    assert newest["loginAt"] > oldest["loginAt"]
    assert windows["X-Auth-Token"] not in answer.text


async def test_list_all_matches_the_seed_with_the_user_projection(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant, clock: FrozenClock
) -> None:
    await make_user(services, rc_tenant, "root", roles=("admin",), name="Root Admin")
    await make_user(services, rc_tenant, "nameless")
    [root] = await logins(rc, clock, "root", [CHROME])
    await logins(rc, clock, "nameless", [FIREFOX])

    answer = await rc.get("/api/v1/sessions/list.all", headers={**root, **password_code()})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 2
    nameless, mine = body["sessions"]
    assert item_shape(SEED_LIST_ALL_ITEM) == shape(mine)
    assert list(mine) == [*SEED_LIST_ALL_ITEM, "current"]
    assert mine["_user"] == {"name": "Root Admin", "username": "root"}
    assert nameless["_user"] == {"username": "nameless"}


async def test_count_offset_and_total(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant, clock: FrozenClock
) -> None:
    await make_user(services, rc_tenant, "alice")
    sessions = await logins(rc, clock, "alice", [CHROME] * 5)
    me = sessions[-1]

    page = (await rc.get("/api/v1/sessions/list?count=2&offset=1", headers=me)).json()
    assert (page["total"], page["count"], page["offset"], len(page["sessions"])) == (5, 2, 1, 2)
    capped = (await rc.get("/api/v1/sessions/list?count=500", headers=me)).json()
    assert (capped["count"], len(capped["sessions"])) == (100, 5)
    past = (await rc.get("/api/v1/sessions/list?offset=10", headers=me)).json()
    assert (past["total"], past["sessions"]) == (5, [])

    for query in ("count=0", "count=x", "offset=-1", "count=1.5"):
        refused = await rc.get(f"/api/v1/sessions/list?{query}", headers=me)
        assert refused.status_code == 400, query
        assert refused.json()["errorType"] == "invalid-params"
    extra = await rc.get("/api/v1/sessions/list?fields=x", headers=me)
    assert (extra.status_code, extra.json()) == (400, INVALID_PARAMS)


async def test_sort_orders_the_whole_result_not_the_page(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant, clock: FrozenClock
) -> None:
    await make_user(services, rc_tenant, "alice")
    agents = [SAFARI, CHROME, FIREFOX, RC_MOBILE, RC_DESKTOP]
    me = (await logins(rc, clock, "alice", agents))[-1]

    async def names(sort: object, **extra: int) -> list[str]:
        query = {"sort": json.dumps(sort), **extra}
        answer = await rc.get("/api/v1/sessions/list", params=query, headers=me)
        assert answer.status_code == 200, answer.text
        return [item["device"]["name"] for item in answer.json()["sessions"]]

    ordered = sorted(["Safari", "Chrome", "Firefox", "RC Mobile", "Rocket.Chat"], key=str.lower)
    assert await names({"device.name": 1}) == ordered
    assert await names({"device.name": -1}) == ordered[::-1]
    assert await names({"device.name": 1}, count=2, offset=0) == ordered[:2]
    assert await names({"device.name": 1}, count=2, offset=2) == ordered[2:4]
    assert await names({"loginAt": 1}, count=1) == ["Safari"]
    assert await names({}) == ["Rocket.Chat", "RC Mobile", "Firefox", "Chrome", "Safari"]


async def test_bad_sorts_get_rocket_chats_bodies(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant
) -> None:
    await make_user(services, rc_tenant, "alice")
    me = await login(rc, "alice")

    for raw in ("{not json", '{"loginAt": 2}', "[1]", '{"loginAt": "1"}'):
        answer = await rc.get("/api/v1/sessions/list", params={"sort": raw}, headers=me)
        assert (answer.status_code, answer.json()) == (
            400,
            {
                "success": False,
                "error": f'Invalid sort parameter provided: "{raw}" [error-invalid-sort]',
                "errorType": "error-invalid-sort",
            },
        )
    keys = await rc.get("/api/v1/sessions/list", params={"sort": '{"ip": 1}'}, headers=me)
    assert (keys.status_code, keys.json()) == (
        400,
        {"success": False, "error": "error-invalid-sort-keys"},
    )


async def test_filter_is_a_safe_case_insensitive_regex(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant, clock: FrozenClock
) -> None:
    await make_user(services, rc_tenant, "root", roles=("admin",), name="Root")
    await make_user(services, rc_tenant, "bob", name="Bobby Tables")
    [root] = await logins(rc, clock, "root", [CHROME])
    await logins(rc, clock, "bob", [FIREFOX, RC_MOBILE])

    async def found(path: str, pattern: str) -> list[str]:
        headers = {**root, **password_code()} if path.endswith("all") else root
        answer = await rc.get(path, params={"filter": pattern}, headers=headers)
        assert answer.status_code == 200, answer.text
        return sorted(item["device"]["name"] for item in answer.json()["sessions"])

    assert await found("/api/v1/sessions/list.all", "firefox") == ["Firefox"]
    assert await found("/api/v1/sessions/list.all", "^(chrome|rc mobile)$") == [
        "Chrome",
        "RC Mobile",
    ]
    assert await found("/api/v1/sessions/list.all", "bobby") == ["Firefox", "RC Mobile"]
    assert await found("/api/v1/sessions/list.all", "MOBILE-APP") == ["RC Mobile"]
    assert await found("/api/v1/sessions/list", "firefox") == []
    assert await found("/api/v1/sessions/list", root["X-User-Id"][:12]) == ["Chrome"]

    for bad in ("(", "a" * 300, "(a)\\1"):
        answer = await rc.get("/api/v1/sessions/list", params={"filter": bad}, headers=root)
        assert answer.status_code == 400, bad
        body = answer.json()
        assert (body["success"], body["errorType"]) == (False, "error-invalid-filter")
        assert body["error"].endswith("[error-invalid-filter]")


async def test_info_logout_me_and_only_live_sessions(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant, clock: FrozenClock
) -> None:
    await make_user(services, rc_tenant, "alice")
    await make_user(services, rc_tenant, "bob")
    phone, laptop = await logins(rc, clock, "alice", [RC_MOBILE, RC_DESKTOP])
    [bob] = await logins(rc, clock, "bob", [CHROME])
    listed = (await rc.get("/api/v1/sessions/list", headers=laptop)).json()["sessions"]
    laptop_id, phone_id = (item["sessionId"] for item in listed)
    bob_id = (await rc.get("/api/v1/sessions/list", headers=bob)).json()["sessions"][0]["_id"]

    info = await rc.get("/api/v1/sessions/info", params={"sessionId": phone_id}, headers=laptop)
    assert info.status_code == 200
    assert info.json() == {**listed[1], "success": True}
    assert info.json()["device"] == {
        "type": "mobile-app",
        "name": "RC Mobile",
        "longVersion": "3.4.0 250",
        "os": {"name": "iOS", "version": "12.2"},
        "version": "3.4.0",
    }
    assert listed[0]["device"]["type"] == "desktop-app"
    assert listed[0]["device"]["name"] == "Rocket.Chat"
    assert listed[0]["device"]["version"] == "2.15.2"

    for wanted in (bob_id, "nope", "0" * 32):
        other = await rc.get("/api/v1/sessions/info", params={"sessionId": wanted}, headers=laptop)
        assert (other.status_code, other.json()) == (
            404,
            {"success": False, "error": "Session not found"},
        )
    missing = await rc.get("/api/v1/sessions/info", headers=laptop)
    assert (missing.status_code, missing.json()["errorType"]) == (400, "invalid-params")

    ended = await rc.post(
        "/api/v1/sessions/logout.me", json={"sessionId": phone_id}, headers=laptop
    )
    assert (ended.status_code, ended.json()) == (200, {"sessionId": phone_id, "success": True})
    gone = await rc.get("/api/v1/me", headers=phone)
    assert (gone.status_code, gone.json()) == (401, NOT_LOGGED_IN)
    left = (await rc.get("/api/v1/sessions/list", headers=laptop)).json()
    assert [item["_id"] for item in left["sessions"]] == [laptop_id]
    assert left["total"] == 1
    again = await rc.post(
        "/api/v1/sessions/logout.me", json={"sessionId": phone_id}, headers=laptop
    )
    assert again.status_code == 404
    foreign = await rc.post(
        "/api/v1/sessions/logout.me", json={"sessionId": bob_id}, headers=laptop
    )
    assert foreign.status_code == 404
    assert (await rc.get("/api/v1/me", headers=bob)).status_code == 200


async def test_admin_info_and_logout_of_another_users_session(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant, clock: FrozenClock
) -> None:
    await make_user(services, rc_tenant, "root", roles=("admin",), name="Root")
    await make_user(services, rc_tenant, "bob", name="Bob")
    [root] = await logins(rc, clock, "root", [CHROME])
    [bob] = await logins(rc, clock, "bob", [FIREFOX])
    bob_id = (await rc.get("/api/v1/sessions/list", headers=bob)).json()["sessions"][0]["_id"]
    admin = {**root, **password_code()}

    info = await rc.get("/api/v1/sessions/info.admin", params={"sessionId": bob_id}, headers=admin)
    assert info.status_code == 200, info.text
    assert info.json()["_user"] == {"name": "Bob", "username": "bob"}
    assert info.json()["current"] is False

    out = await rc.post("/api/v1/sessions/logout", json={"sessionId": bob_id}, headers=admin)
    assert (out.status_code, out.json()) == (200, {"sessionId": bob_id, "success": True})
    assert (await rc.get("/api/v1/me", headers=bob)).json() == NOT_LOGGED_IN
    gone = await rc.get("/api/v1/sessions/info.admin", params={"sessionId": bob_id}, headers=admin)
    assert gone.status_code == 404


async def test_a_user_without_the_permissions_gets_the_403_body(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant
) -> None:
    await make_user(services, rc_tenant, "alice")
    me = {**await login(rc, "alice"), **password_code()}
    some_id = (await rc.get("/api/v1/sessions/list", headers=me)).json()["sessions"][0]["_id"]

    for answer in (
        await rc.get("/api/v1/sessions/list.all", headers=me),
        await rc.get("/api/v1/sessions/info.admin", params={"sessionId": some_id}, headers=me),
        await rc.post("/api/v1/sessions/logout", json={"sessionId": some_id}, headers=me),
        await rc.post(
            "/api/v1/users.create",
            json={"email": "x@y.io", "name": "X", "password": PASSWORD, "username": "x"},
            headers=me,
        ),
    ):
        assert (answer.status_code, answer.json()) == (403, SEED_FORBIDDEN)


async def test_the_caller_must_be_logged_in_as_the_user_it_names(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant
) -> None:
    await make_user(services, rc_tenant, "alice")
    await make_user(services, rc_tenant, "bob")
    alice, bob = await login(rc, "alice"), await login(rc, "bob")

    for headers in (
        {},
        {"X-User-Id": alice["X-User-Id"]},
        {"X-Auth-Token": alice["X-Auth-Token"]},
        {"X-User-Id": bob["X-User-Id"], "X-Auth-Token": alice["X-Auth-Token"]},
        {"X-User-Id": alice["X-User-Id"], "X-Auth-Token": "not-a-token"},
    ):
        answer = await rc.get("/api/v1/sessions/list", headers=headers)
        assert (answer.status_code, answer.json()) == (401, NOT_LOGGED_IN)
    lower = {k.lower(): v for k, v in alice.items()}
    assert (await rc.get("/api/v1/sessions/list", headers=lower)).status_code == 200


async def test_unknown_routes_and_methods_answer_in_rocket_chats_shape(
    rc: httpx.AsyncClient,
) -> None:
    unknown = await rc.get("/api/v1/sessions/nope")
    assert unknown.status_code == 404
    assert unknown.json()["success"] is False
    wrong = await rc.delete("/api/v1/sessions/list")
    assert wrong.status_code == 405
    assert wrong.json()["success"] is False
    broken = await rc.post(
        "/api/v1/login", content=b"{", headers={"content-type": "application/json"}
    )
    assert (broken.status_code, broken.json()["errorType"]) == (400, "invalid-params")
    assert "detail" not in broken.json()


async def test_a_rocket_chat_login_is_a_session_every_door_sees_and_ends(
    rc: httpx.AsyncClient, services: Services, rc_tenant: Tenant
) -> None:
    user = await make_user(services, rc_tenant, "alice")
    me = await login(rc, "alice")
    [item] = (await rc.get("/api/v1/sessions/list", headers=me)).json()["sessions"]

    query = SessionQuery(tenant_id=rc_tenant.id, user_id=user.id)
    seen = await services.sessions.list_keyset(query, size=10)
    assert [record.session.id.hex for record in seen.items] == [item["_id"]]
    await services.sessions.end(
        rc_tenant.id, seen.items[0].session.id, reason=EndReason.REVOKED, by="another door"
    )

    assert (await rc.get("/api/v1/me", headers=me)).json() == NOT_LOGGED_IN
    again = await login(rc, "alice")
    assert (await rc.get("/api/v1/sessions/list", headers=again)).json()["total"] == 1
