"""Cursor pages: 1,000 sessions created in one millisecond walked forward with `meta.next` and
back with `meta.prev`, each exactly once and in order; the document's bare date-time cursor; and
bad `perPage` and `cursor` values answered 400 in pxyz's error shape."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from sessiond.domain.ids import new_id
from sessiond.domain.session import Session
from sessiond.domain.tokens import new_token
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.services.users import NewUser
from tests.helpers.pxyz import Keyed, error_body
from tests.helpers.pxyz_contract import RFC3339, check


async def _sessions(services: Services, tenant: Keyed, count: int, clock: FrozenClock) -> list[str]:
    """`count` sessions of one user, all created at the clock's current instant."""
    user = await services.users.create(tenant.tenant.id, NewUser(username=f"u{count}"))
    now = clock.now()
    made = []
    async with services.deps.store.unit_of_work() as uow:
        for _ in range(count):
            session = Session(
                id=new_id(now_ms=int(now.timestamp() * 1000)),
                tenant_id=tenant.tenant.id,
                user_id=user.id,
                token_digest=new_token().digest,
                device_id=None,
                created_at=now,
                authenticated_at=now,
                issued_at=now,
                expires_at=now + timedelta(hours=1),
                last_active_at=now,
                updated_at=now,
            )
            await uow.sessions.add(session, None)
            made.append(session.id)
        await uow.commit()
    return ["c" + i.hex for i in made]


async def _walk(
    http: httpx.AsyncClient, url: str, tenant: Keyed, start: dict[str, str], link: str
) -> tuple[list[list[str]], dict[str, str]]:
    pages, params = [], dict(start)
    while True:
        response = await http.get(url, params=params, headers=tenant.auth)
        assert response.status_code == 200, response.text
        body = response.json()
        check("auth-sessions-list", 200, body)
        pages.append([s["id"] for s in body["data"]])
        last = {"perPage": params["perPage"], "cursor": body["meta"]["prev"]}
        if body["meta"][link] is None:
            return pages, last
        assert RFC3339.fullmatch(body["meta"][link])
        params = {"perPage": params["perPage"], "cursor": body["meta"][link]}


async def test_a_thousand_sessions_in_one_millisecond_walk_both_ways(
    http: httpx.AsyncClient, services: Services, a: Keyed, clock: FrozenClock
) -> None:
    made = await _sessions(services, a, 1000, clock)
    newest_first = sorted(made, key=lambda pid: uuid.UUID(pid[1:]), reverse=True)
    url = f"/api/v0/tenants/{a.pid}/auth/sessions"

    forward, last = await _walk(http, url, a, {"perPage": "100"}, "next")
    assert [len(page) for page in forward] == [100] * 10
    assert [pid for page in forward for pid in page] == newest_first

    back_from = {"perPage": "100", "cursor": last["cursor"]}
    backward, _ = await _walk(http, url, a, back_from, "prev")
    assert backward == list(reversed(forward[:-1]))


async def test_the_documented_date_time_cursor_starts_strictly_after_it(
    http: httpx.AsyncClient, services: Services, a: Keyed, clock: FrozenClock
) -> None:
    older = await _sessions(services, a, 3, clock)
    clock.advance(timedelta(seconds=5))
    newer = await _sessions(services, a, 2, clock)
    url = f"/api/v0/tenants/{a.pid}/auth/sessions"
    first = (await http.get(url, params={"perPage": "2"}, headers=a.auth)).json()
    assert sorted(s["id"] for s in first["data"]) == sorted(newer)
    assert first["meta"] | {"next": None} == {
        "total": 5,
        "count": 2,
        "numPages": 3,
        "perPage": 2,
        "prev": None,
        "next": None,
    }
    instant = first["data"][-1]["createdAt"]
    for cursor in (instant, instant.replace("Z", "+00:00"), instant[:-1] + "000Z"):
        page = await http.get(url, params={"perPage": "10", "cursor": cursor}, headers=a.auth)
        assert page.status_code == 200, page.text
        assert sorted(s["id"] for s in page.json()["data"]) == sorted(older)


@pytest.mark.parametrize(
    ("per_page", "cursor"),
    [
        ("0", None),
        ("101", None),
        ("ten", None),
        ("-1", None),
        ("1.5", None),
        (None, "yesterday"),
        (None, "2026-07-31T10:11:12"),
        (None, "2026-07-31T10:11:12.123456" + "7" * 40 + "Z"),
        (None, "x" * 5000),
    ],
)
async def test_bad_per_page_and_cursor_are_400(
    http: httpx.AsyncClient, a: Keyed, per_page: str | None, cursor: str | None
) -> None:
    params = {k: v for k, v in (("perPage", per_page), ("cursor", cursor)) if v is not None}
    response = await http.get(
        f"/api/v0/tenants/{a.pid}/auth/sessions", params=params, headers=a.auth
    )
    assert response.status_code == 400, response.text
    check("auth-sessions-list", 400, response.json())
    assert response.json()["code"] == "BAD_REQUEST"


async def test_a_cursor_from_another_list_is_refused(
    http: httpx.AsyncClient, services: Services, a: Keyed, clock: FrozenClock
) -> None:
    await _sessions(services, a, 3, clock)
    url = f"/api/v0/tenants/{a.pid}/auth/sessions"
    first = (await http.get(url, params={"perPage": "1"}, headers=a.auth)).json()
    users = await http.get(
        "/api/v0/auth/users",
        params={"tenantId": a.pid, "cursor": first["meta"]["next"]},
        headers=a.auth,
    )
    assert users.status_code == 400


@pytest.mark.parametrize("cursor", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
async def test_a_cursor_past_the_calendar_in_utc_is_400(
    http: httpx.AsyncClient, a: Keyed, cursor: str
) -> None:
    for url, params in (
        (f"/api/v0/tenants/{a.pid}/auth/sessions", {"cursor": cursor}),
        ("/api/v0/auth/users", {"cursor": cursor, "tenantId": a.pid}),
        ("/api/v0/auth/sign-ins", {"cursor": cursor, "tenantId": a.pid}),
    ):
        body = error_body(await http.get(url, headers=a.auth, params=params), 400)
        assert "cursor" in body["message"]
