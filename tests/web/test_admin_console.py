"""The administrators' console through the real ASGI app, on every backend: the second-factor
gate and its 30 minutes, who gets no console, the sessions table's filters, sorts and keyset
pages, ending one, the selected and all matching sessions (which every door then refuses), a
user's page, the charts and CSRF."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pyotp
import pytest

from sessiond.domain.ids import render_hex
from sessiond.domain.session import EndReason
from sessiond.domain.tenant import Tenant
from sessiond.domain.user import Email, User, UserState
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.sign_in import PasswordSignIn
from sessiond.services.users import NewUser
from sessiond.settings import Settings
from sessiond.web import admin_sessions
from tests.helpers.asgi import app_client
from tests.helpers.mail import Inbox
from tests.helpers.tenants import unique_slug
from tests.helpers.users import enable_totp
from tests.helpers.web import CHROME_WINDOWS, FIREFOX_LINUX, SAFARI_IPHONE, Pages, csrf_of

PASSWORD = "correct horse battery staple"
ROW = re.compile(r'<tr data-session="([0-9a-f]{32})"')
NEXT = re.compile(r'rel="next" href="([^"]+)"')


@dataclass(frozen=True)
class Console:
    http: httpx.AsyncClient
    services: Services
    clock: FrozenClock
    tenant: Tenant
    admin: User
    totp: pyotp.TOTP

    @property
    def base(self) -> str:
        return f"/t/{self.tenant.slug}/admin"

    async def get(self, path: str = "", **params: str) -> httpx.Response:
        return await self.http.get(self.base + path, params=params)

    async def post(self, path: str, data: dict[str, str] | list[tuple[str, str]]) -> httpx.Response:
        form = "application/x-www-form-urlencoded"
        return await self.http.post(
            self.base + path, content=urlencode(data), headers={"content-type": form}
        )

    def code(self) -> str:
        return self.totp.at(self.clock.now())

    async def proved(self) -> None:
        """Signs the admin in (with TOTP) and proves the console's second factor."""
        pages = Pages(self.http, self.tenant.slug)
        assert (await pages.sign_in("root", PASSWORD)).status_code == 303
        step = await pages.submit("/second-factor", "/second-factor", {"code": self.code()})
        assert step.status_code == 303, step.text
        self.clock.advance(timedelta(seconds=31))  # the sign-in's code may not be used twice
        await self.verify(self.code())

    async def verify(self, code: str, method: str = "totp") -> httpx.Response:
        gate = await self.get("/verify", next=self.base)
        assert gate.status_code == 200, gate.text
        fields = {"code": code, "method": method, "next": self.base}
        answer = await self.post("/verify", {"csrf_token": csrf_of(gate.text), **fields})
        assert answer.status_code == 303, answer.text
        return answer

    async def csrf(self) -> str:
        return csrf_of((await self.get()).text)


async def _session(
    services: Services, tenant: Tenant, who: str, agent: str, *, ip: str, location: str
) -> str:
    client = Client(user_agent=agent, ip=ip, location=location)
    result = await services.sign_ins.password(
        PasswordSignIn(tenant.id, identifier=who, password=PASSWORD, client=client)
    )
    assert result.issued is not None
    return result.issued.token


@pytest.fixture
def settings(settings: Settings, inbox: Inbox) -> Settings:
    """Mail goes to a real SMTP server on loopback, for the console's mailed codes."""
    return replace(settings, smtp_url=inbox.url)


@pytest.fixture
async def console(
    settings: Settings, services: Services, clock: FrozenClock
) -> AsyncIterator[Console]:
    tenant = (await services.tenants.create(slug=unique_slug("admin"))).tenant
    admin = await services.users.create(
        tenant.id,
        NewUser(username="root", password=PASSWORD, roles=("admin",),
                emails=(Email("root@example.com", verified=True),)),
    )  # fmt: skip
    totp = pyotp.TOTP(await enable_totp(services, tenant, admin))
    for name in ("ada", "bob"):
        await services.users.create(tenant.id, NewUser(username=name, password=PASSWORD))
    doors = replace(settings, kratos_tenant=tenant.slug, rocketchat_tenant=tenant.slug)
    async with app_client(doors, services) as http:
        http.headers["user-agent"] = CHROME_WINDOWS
        yield Console(http, services, clock, tenant, admin, totp)


async def _many(console: Console) -> dict[str, str]:
    """Twelve sessions: ada on Firefox in Germany and on an iPhone in France, bob on Chrome in
    the US; one second apart. Token by session id."""
    made: dict[str, str] = {}
    kinds = [
        ("ada", FIREFOX_LINUX, "198.51.100.1", "Berlin, DE"),
        ("ada", SAFARI_IPHONE, "198.51.100.2", "Paris, FR"),
        ("bob", CHROME_WINDOWS, "198.51.100.3", "Austin, US"),
    ]
    for n in range(12):
        who, agent, ip, location = kinds[n % 3]
        token = await _session(
            console.services, console.tenant, who, agent, ip=ip, location=location
        )
        auth = await console.services.sessions.authenticate(console.tenant.id, token)
        made[render_hex(auth.record.session.id)] = token
        console.clock.advance(timedelta(seconds=1))
    return made


async def _whoami(console: Console, token: str) -> int:
    answer = await console.http.get("/sessions/whoami", headers={"X-Session-Token": token})
    return answer.status_code


async def _walk(console: Console, **params: str) -> list[str]:
    """Every row of the table, page after page through the next links."""
    seen: list[str] = []
    answer = await console.get(**params)
    while True:
        assert answer.status_code == 200, answer.text
        seen += ROW.findall(answer.text)
        found = NEXT.search(answer.text)
        if found is None:
            return seen
        link = found[1].replace("&amp;", "&")
        answer = await console.http.get(link)


async def test_the_console_asks_for_the_second_factor_and_again_after_30_minutes(
    console: Console,
) -> None:
    pages = Pages(console.http, console.tenant.slug)
    assert (await console.get()).headers["location"] == f"{pages.base}/sign-in"
    await pages.sign_in("root", PASSWORD)
    await pages.submit("/second-factor", "/second-factor", {"code": console.code()})

    gated = await console.get()
    assert gated.status_code == 303
    assert gated.headers["location"].startswith(f"{console.base}/verify?next=")
    gate = await console.http.get(gated.headers["location"])
    assert "<h1>Confirm it's you</h1>" in gate.text
    assert "authenticator app" in gate.text

    console.clock.advance(timedelta(seconds=31))
    await console.verify(console.code())
    assert (await console.get()).status_code == 200

    console.clock.advance(timedelta(minutes=29))
    assert (await console.get()).status_code == 200
    console.clock.advance(timedelta(minutes=1, seconds=1))
    assert (await console.get()).headers["location"].startswith(f"{console.base}/verify")


async def test_a_wrong_code_is_refused(console: Console) -> None:
    pages = Pages(console.http, console.tenant.slug)
    await pages.sign_in("root", PASSWORD)
    await pages.submit("/second-factor", "/second-factor", {"code": console.code()})
    gate = await console.get("/verify")
    assert "password" not in gate.text.lower()  # not while the admin has an authenticator
    wrong = await console.post(
        "/verify", {"csrf_token": csrf_of(gate.text), "code": wrong_code(console)}
    )
    assert wrong.status_code == 401
    assert "That code is wrong" in wrong.text
    assert (await console.get()).status_code == 303


async def test_an_admin_without_a_second_factor_proves_the_password(console: Console) -> None:
    await console.services.users.reset_second_factors(console.tenant.id, console.admin.id)
    await Pages(console.http, console.tenant.slug).sign_in("root", PASSWORD)
    gate = await console.get("/verify")
    assert 'type="password"' in gate.text
    wrong = await console.post(
        "/verify",
        {"csrf_token": csrf_of(gate.text), "code": "not it", "method": "password"},
    )
    assert wrong.status_code == 401
    await console.verify(PASSWORD, method="password")
    assert (await console.get()).status_code == 200


async def test_an_admin_with_mailed_codes_proves_one(console: Console, inbox: Inbox) -> None:
    await console.services.users.reset_second_factors(console.tenant.id, console.admin.id)
    await console.services.two_factor.set_email(console.tenant.id, console.admin.id, enabled=True)
    await Pages(console.http, console.tenant.slug).sign_in("root", PASSWORD)
    gate = await console.get("/verify")
    assert "Enter the code we mailed you." in gate.text
    await console.verify(inbox.last_code("root@example.com"), method="email")
    assert (await console.get()).status_code == 200


async def test_a_user_without_the_admin_role_gets_no_console(console: Console) -> None:
    pages = Pages(console.http, console.tenant.slug)
    await pages.sign_in("ada", PASSWORD)
    for path in ("", "/charts", "/verify"):
        answer = await console.get(path)
        assert answer.status_code == 403
        assert "for the administrators" in answer.text
        assert "Sessions" not in answer.text


async def test_filters_narrow_the_table_and_count_the_matches(console: Console) -> None:
    made = await _many(console)
    await console.proved()
    everyone = await _walk(console)
    assert set(made) <= set(everyone)
    by_browser = await _walk(console, browser="Firefox")
    by_kind = await _walk(console, kind="phone")
    by_country = await _walk(console, country="US")
    by_ip = await _walk(console, ip="198.51.100.2")
    by_user = await _walk(console, user="bob")
    by_text = await _walk(console, q="mobile safari")
    assert len(by_browser) == len(by_country) == len(by_user) == 4
    assert set(by_kind) == set(by_ip) == set(by_text)
    assert len(by_kind) == 4
    assert not set(by_browser) & set(by_kind)
    shown = await console.get(browser="Firefox", os="Linux")
    assert '<span data-total="4">' in shown.text
    assert '<span data-total="0">' in (await console.get(user="nobody")).text


@pytest.mark.parametrize("sort", ["signed_in", "browser", "last_active", "user", "location"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
async def test_keyset_pages_neither_repeat_nor_skip_rows_in_any_order(
    console: Console, sort: str, direction: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await _many(console)
    await console.proved()
    monkeypatch.setattr(admin_sessions, "PAGE_SIZE", 5)
    walked = await _walk(console, sort=sort, dir=direction)
    assert len(walked) == len(set(walked))
    assert set(made) <= set(walked)
    assert len(walked) == len(made) + 1  # and the admin's own


async def test_a_tampered_page_token_is_shown_as_an_error(console: Console) -> None:
    await console.proved()
    answer = await console.get(page="not-a-token")
    assert answer.status_code == 200
    assert 'role="alert"' in answer.text


async def test_ending_one_session_is_refused_by_the_doors_at_once(console: Console) -> None:
    made = await _many(console)
    await console.proved()
    session_id, token = next(iter(made.items()))
    assert await _whoami(console, token) == 200
    ended = await console.post(
        f"/sessions/{session_id}/end", {"csrf_token": await console.csrf(), "browser": "Firefox"}
    )
    assert ended.status_code == 303
    assert ended.headers["location"] == f"{console.base}?browser=Firefox&ended=1"
    assert await _whoami(console, token) == 401
    shown = await console.http.get(ended.headers["location"])
    assert "1 session ended." in shown.text


async def test_ending_the_selected_sessions(console: Console) -> None:
    made = await _many(console)
    await console.proved()
    picked = list(made)[:3]
    form = [("csrf_token", await console.csrf()), *[("session", s) for s in picked]]
    ended = await console.post("/sessions/end-selected", form)
    assert ended.headers["location"].endswith("ended=3")
    for session_id, token in made.items():
        assert await _whoami(console, token) == (401 if session_id in picked else 200)


async def test_ending_all_matching_counts_then_confirms_then_ends_them_and_audits(
    console: Console,
) -> None:
    made = await _many(console)
    await console.proved()
    confirm = await console.get("/sessions/end-matching", user="ada")
    assert 'data-count="8"' in confirm.text
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', confirm.text))
    assert fields["user"] == "ada"
    assert fields["confirm"] == "yes"
    ended = await console.post("/sessions/end-matching", fields)
    assert ended.headers["location"] == f"{console.base}?user=ada&ended=8"
    refused = [t for t in made.values() if await _whoami(console, t) == 401]
    assert len(refused) == 8
    entries = await console.services.audit.newest(tenant_id=console.tenant.id, limit=20)
    matching = [e for e in entries if e.action == "sessions.revoke_matching"]
    assert matching
    assert all(e.actor.id == console.admin.id.hex for e in matching)
    ada = await console.services.users.find(console.tenant.id, "ada")
    assert matching[0].target == f"8 matching user={ada.id.hex}"


async def test_a_post_without_its_csrf_token_is_refused(console: Console) -> None:
    made = await _many(console)
    await console.proved()
    session_id, token = next(iter(made.items()))
    for path, data in [
        (f"/sessions/{session_id}/end", {}),
        ("/sessions/end-selected", {"session": session_id}),
        ("/sessions/end-matching", {"confirm": "yes"}),
        (f"/users/{console.admin.id.hex}/reset-second-factor", {}),
    ]:
        answer = await console.post(path, data)
        assert answer.status_code == 403, path
    assert await _whoami(console, token) == 200


async def test_a_users_page_suspends_unsuspends_and_resets_their_second_factor(
    console: Console,
) -> None:
    made = await _many(console)
    ada = await console.services.users.find(console.tenant.id, "ada")
    await enable_totp(console.services, console.tenant, ada)
    await Pages(console.http, console.tenant.slug).sign_in("ada", "a wrong password")
    await console.proved()
    path = f"/users/{ada.id.hex}"
    shown = await console.get(path)
    assert shown.text.count('<tr data-session="') == 8
    assert shown.text.count('class="failed"') == 1
    assert "Authenticator app" in shown.text
    csrf = csrf_of(shown.text)

    suspended = await console.post(f"{path}/suspend", {"csrf_token": csrf})
    assert suspended.headers["location"] == f"{console.base}{path}?done=suspended"
    ada_tokens = [t for t in made.values() if await _whoami(console, t) == 401]
    assert len(ada_tokens) == 8
    assert (
        await console.services.users.get(console.tenant.id, ada.id)
    ).state is UserState.SUSPENDED
    await console.post(f"{path}/unsuspend", {"csrf_token": csrf})
    assert (await console.services.users.get(console.tenant.id, ada.id)).state is UserState.ACTIVE

    await console.post(f"{path}/reset-second-factor", {"csrf_token": csrf})
    assert not (await _user(console, ada)).has_second_factor
    assert "None" in (await console.get(path)).text


async def test_the_charts_count_days_and_live_sessions_by_device(console: Console) -> None:
    made = await _many(console)
    await console.proved()
    first = next(iter(made))
    await console.services.sessions.end(
        console.tenant.id, uuid.UUID(hex=first), reason=EndReason.ADMIN_REVOKED, by=None
    )
    shown = await console.get("/charts")
    assert shown.status_code == 200
    day = console.clock.now().date().isoformat()
    assert _cell(shown.text, "by-day", day) == 13  # and the admin's own
    assert _cell(shown.text, "browser", "Firefox") == 3
    assert _cell(shown.text, "browser", "Mobile Safari") == 4
    assert _cell(shown.text, "kind", "Phone") == 4
    assert _cell(shown.text, "country", "US") == 4
    assert _cell(shown.text, "country", "DE") == 3
    assert 'role="img"' in shown.text


def wrong_code(console: Console) -> str:
    return f"{(int(console.code()) + 1) % 1_000_000:06d}"


async def _user(console: Console, user: User) -> User:
    return await console.services.users.get(console.tenant.id, user.id)


def _cell(html: str, chart: str, label: str) -> int:
    figure = html.split(f'id="chart-{chart}"', 1)[1].split("</figure>", 1)[0]
    found = re.search(rf'<th scope="row">{re.escape(label)}</th><td>(\d+)</td>', figure)
    assert found is not None, (chart, label)
    return int(found[1])
