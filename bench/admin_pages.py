"""Server time of the administrators' console on a seeded database: the sessions table's first
page, filtered pages, sorted pages, the oldest page and a page reached by walking many pages, and
the charts, each through the real ASGI app in this process (no network), in ms ("-": the list
is not counted).

    sessiond seed --tenant big --users 10000 --sessions 1000000 --password "$PW"
    python bench/admin_pages.py --database-url postgresql://... --tenant big

It adds an admin user to that tenant (the database is meant to be thrown away), signs in through
the pages and proves the password at the console's gate.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import statistics
import time

import httpx
from asgi_lifespan import LifespanManager

from sessiond.app import create_app
from sessiond.compose import open_services
from sessiond.services.users import NewUser
from sessiond.settings import Settings

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
NEXT = re.compile(r'rel="next" href="([^"]+)"')
TOTAL = re.compile(r'data-total="(\d+)"')


async def main() -> None:
    options = _options()
    settings = Settings(database_url=options.database_url)
    services = await open_services(settings)
    try:
        tenant = await services.tenants.get_by_slug(options.tenant)
        password = secrets.token_urlsafe(16)
        name = f"bench-admin-{secrets.token_hex(4)}"
        await services.users.create(
            tenant.id, NewUser(username=name, password=password, roles=("admin",))
        )
        app = create_app(settings, services=services)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.9", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://bench.test") as http:
                base = f"/t/{options.tenant}"
                await _sign_in(http, base, name, password)
                await _measure(http, base, options)
    finally:
        await services.close()


async def _sign_in(http: httpx.AsyncClient, base: str, name: str, password: str) -> None:
    form = await http.get(f"{base}/account/sign-in")
    fields = {"csrf_token": _csrf(form.text), "identifier": name, "password": password}
    assert (await http.post(f"{base}/account/sign-in", data=fields)).status_code == 303
    gate = await http.get(f"{base}/admin/verify")
    fields = {"csrf_token": _csrf(gate.text), "code": password, "method": "password"}
    assert (await http.post(f"{base}/admin/verify", data=fields)).status_code == 303


async def _measure(http: httpx.AsyncClient, base: str, options: argparse.Namespace) -> None:
    console = f"{base}/admin"
    deep = await _walk(http, console, options.deep)
    cases = {
        "first page": console,
        "filtered: browser Firefox": f"{console}?browser=Firefox",
        "filtered: device type phone, OS iOS": f"{console}?kind=phone&os=iOS",
        "filtered: country DE": f"{console}?country=DE",
        "filtered: text 'nakamura'": f"{console}?q=nakamura",
        "sorted by last active": f"{console}?sort=last_active",
        "sorted by browser (no index)": f"{console}?sort=browser",
        "sorted by user (no index)": f"{console}?sort=user",
        "oldest first": f"{console}?dir=asc",
        f"deep: page {options.deep + 1} by next links": deep,
        "charts": f"{console}/charts",
    }
    print(f"{'page':<40} {'rows matching':>13} {'median ms':>10} {'max ms':>8}")
    for name, url in cases.items():
        times, total = [], ""
        for _ in range(options.repeat):
            started = time.perf_counter()
            answer = await http.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, (name, answer.status_code)
            found = TOTAL.search(answer.text)
            total = found[1] if found else "-"
        print(f"{name:<40} {total:>13} {statistics.median(times):>10.1f} {max(times):>8.1f}")


async def _walk(http: httpx.AsyncClient, url: str, pages: int) -> str:
    """The address of the page `pages` next links after `url`."""
    for _ in range(pages):
        found = NEXT.search((await http.get(url)).text)
        assert found is not None, "the list ended before the deep page"
        url = found[1].replace("&amp;", "&")
    return url


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None
    return found[1]


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--deep", type=int, default=200, help="next links followed (200)")
    parser.add_argument("--repeat", type=int, default=7, help="timed loads of each page (7)")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main())
