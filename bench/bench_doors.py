"""Side-by-side costs of the three front doors' hot paths, as ratios measured in one run.

    .venv/bin/python bench/bench_doors.py [--database-url URL] [--rounds N] [--per-round N]

Everything goes through the real ASGI app in process (all three doors, httpx's ASGI transport), so
the numbers are the door's own cost plus the store's, without a network. Baseline: `GET /healthz`
(the root app and one database round trip). Measured against it: each door's "who is this token"
(Kratos whoami, Rocket.Chat `me`, pxyz `GET /api/user/sessions`) and each door's session list for
a user with 50 sessions. Rounds interleave and the report gives medians, because the machines are
shared and noisy. It migrates the database it is given and adds a tenant to it: point it at a
scratch database (the default is a temporary SQLite file).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import httpx
from asgi_lifespan import LifespanManager
from ratios import Op, main, measure, report

from sessiond.app import create_app
from sessiond.compose import migrate, open_services
from sessiond.domain.ids import render_hex, render_pxyz
from sessiond.domain.user import Email
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.sign_in import PasswordSignIn
from sessiond.services.users import NewUser
from sessiond.settings import Settings

UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/113.0.0.0 Safari/537.36"
)
PASSWORD = "bench-password"
SESSIONS = 50

Call = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def _checked(http: httpx.AsyncClient, call: Call) -> Op:
    async def op() -> httpx.Response:
        answer = await call(http)
        if answer.status_code != 200:
            raise SystemExit(f"{answer.request.url}: {answer.status_code} {answer.text[:200]}")
        return answer

    return op


async def _calls(services: Services, slug: str) -> dict[str, Call]:
    tenant = (await services.tenants.create(slug=slug)).tenant
    key = (await services.tenants.create_secret_key(tenant.id)).raw
    user = await services.users.create(
        tenant.id,
        NewUser(username="bench", password=PASSWORD, emails=(Email("b@example.com", True),)),
    )
    client = Client(user_agent=UA, ip="198.51.100.7")
    tokens = []
    for _ in range(SESSIONS):
        signed = await services.sign_ins.password(
            PasswordSignIn(tenant.id, identifier="bench", password=PASSWORD, client=client)
        )
        assert signed.issued is not None
        tokens.append(signed.issued.token)
    token = tokens[-1]
    admin = {"authorization": f"Bearer {key}"}
    rc = {"X-User-Id": render_hex(user.id), "X-Auth-Token": token}
    pxyz_user = {"x-public-key": tenant.public_key, "authorization": f"Bearer {token}"}
    tenant_path = f"/api/v0/tenants/{render_pxyz(tenant.id)}/auth/sessions"
    return {
        "healthz": lambda h: h.get("/healthz"),
        "kratos whoami": lambda h: h.get("/sessions/whoami", headers={"X-Session-Token": token}),
        "rocketchat me": lambda h: h.get("/api/v1/me", headers=rc),
        "pxyz user sessions": lambda h: h.get("/api/user/sessions", headers=pxyz_user),
        "kratos list 50": lambda h: h.get(
            f"/admin/identities/{user.id}/sessions", params={"per_page": "50"}, headers=admin
        ),
        "rocketchat list 50": lambda h: h.get(
            "/api/v1/sessions/list", params={"count": "50"}, headers=rc
        ),
        "pxyz list 50": lambda h: h.get(tenant_path, params={"perPage": "50"}, headers=admin),
    }


async def run(url: str, rounds: int, per_round: int) -> None:
    slug = f"bench-doors-{int(time.time())}"
    settings = Settings(database_url=url, password_time_cost=1, password_memory_cost=1024)
    await migrate(settings)
    services = await open_services(settings)
    await services.feed.start()  # token checks believe their cache, as under `sessiond serve`
    try:
        calls = await _calls(services, slug)
        app = create_app(
            replace(settings, kratos_tenant=slug, rocketchat_tenant=slug), services=services
        )
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app, client=("198.51.100.7", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                ops = {name: _checked(http, call) for name, call in calls.items()}
                samples = await measure(ops, rounds=rounds, per_round=per_round)
        header = f"backend: {services.deps.store.backend}, {rounds} rounds x {per_round} calls"
        report(samples, baseline="healthz", header=header)
    finally:
        await services.close()


if __name__ == "__main__":
    main(run, doc=__doc__ or "", per_round=40)
