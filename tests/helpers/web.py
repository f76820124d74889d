"""Driving the web pages as a browser would: forms with their CSRF token, cookies kept; the site
the page tests drive, with one user, and the doors' tokens of that user."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from sessiond.domain.tenant import Tenant
from sessiond.domain.user import User
from sessiond.services.container import Services

PASSWORD = "correct horse battery staple"
EMAIL = "ada@example.com"
# The browsers the pages' tests sign in with.
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found[1]


class Pages:
    """One browser's view of one tenant's pages."""

    def __init__(self, http: httpx.AsyncClient, slug: str) -> None:
        self.http = http
        self.base = f"/t/{slug}/account"

    async def get(self, path: str = "") -> httpx.Response:
        return await self.http.get(self.base + path)

    async def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return await self.http.post(self.base + path, data=data)

    async def submit(self, page: str, action: str, fields: dict[str, str]) -> httpx.Response:
        """Posts the form `action` with the CSRF token read from `page`."""
        shown = await self.get(page)
        assert shown.status_code == 200, shown.text
        return await self.post(action, {"csrf_token": csrf_of(shown.text), **fields})

    async def sign_in(self, identifier: str, password: str) -> httpx.Response:
        return await self.submit(
            "/sign-in", "/sign-in", {"identifier": identifier, "password": password}
        )


@dataclass(frozen=True)
class Site:
    """The whole app (every door) with a tenant whose user `ada` has `PASSWORD` and `EMAIL`;
    the Kratos and Rocket.Chat doors serve that tenant."""

    http: httpx.AsyncClient
    services: Services
    tenant: Tenant
    user: User

    def pages(self) -> Pages:
        return Pages(self.http, self.tenant.slug)


async def signed_in(site: Site, password: str = PASSWORD) -> Pages:
    pages = site.pages()
    answer = await pages.sign_in("ada", password)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == pages.base
    return pages


async def kratos_token(site: Site, user_agent: str = FIREFOX_LINUX) -> str:
    headers = {"user-agent": user_agent}
    flow = (await site.http.get("/self-service/login/api", headers=headers)).json()
    answer = await site.http.post(
        f"/self-service/login?flow={flow['id']}",
        headers=headers,
        json={"method": "password", "identifier": "ada", "password": PASSWORD},
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["session_token"]
    return token


async def whoami(site: Site, token: str) -> int:
    """What the Kratos door answers for the token: 200 while its session is live, else 401."""
    answer = await site.http.get("/sessions/whoami", headers={"X-Session-Token": token})
    return answer.status_code
