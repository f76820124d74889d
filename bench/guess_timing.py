"""Whether a wrong password and an unknown account take the same time to answer, on every door.

    .venv/bin/python bench/guess_timing.py [--database-url URL] [--rounds N] [--per-round N]

An attacker who could tell the two apart would learn which accounts exist. Each door's password
sign-in is timed in interleaved rounds through the real ASGI app, with the production argon2
parameters, for a known account with a wrong password and for an account that does not exist;
and again once each account is throttled (a refused try hashes nothing, known or not). The
report gives the median time of each and the ratio unknown / known, which should stay within
0.8 to 1.2. The tenant's budgets are raised for the first part, so that nothing is throttled.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import httpx
from asgi_lifespan import LifespanManager
from ratios import Op, main, measure

from sessiond.app import create_app
from sessiond.compose import migrate, open_services
from sessiond.domain.tenant import MAX_COUNT, Tenant
from sessiond.domain.user import Email
from sessiond.services.container import Services
from sessiond.services.users import NewUser
from sessiond.settings import Settings

PASSWORD = "bench-password-long"
WRONG = "not-the-password"
KNOWN = "known@example.com"
UNKNOWN = "nobody@example.com"

Login = Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]


def _logins(tenant: Tenant) -> dict[str, Login]:
    async def pxyz(http: httpx.AsyncClient, who: str) -> httpx.Response:
        body = {"identifier": who, "strategy": "email_password", "password": WRONG}
        return await http.post(
            "/api/sign-ins", json=body, headers={"x-public-key": tenant.public_key}
        )

    async def kratos(http: httpx.AsyncClient, who: str) -> httpx.Response:
        flow = (await http.get("/self-service/login/api")).json()["id"]
        body = {"method": "password", "identifier": who, "password": WRONG}
        return await http.post(f"/self-service/login?flow={flow}", json=body)

    async def rocketchat(http: httpx.AsyncClient, who: str) -> httpx.Response:
        return await http.post("/api/v1/login", json={"user": who, "password": WRONG})

    return {"pxyz": pxyz, "kratos": kratos, "rocketchat": rocketchat}


def _expecting(http: httpx.AsyncClient, login: Login, who: str, statuses: set[int]) -> Op:
    async def op() -> httpx.Response:
        answer = await login(http, who)
        if answer.status_code not in statuses:
            raise SystemExit(f"{who}: {answer.status_code} {answer.text[:200]}")
        return answer

    return op


async def _budgets(services: Services, tenant: Tenant, failures: int) -> None:
    await services.tenants.change_settings(
        tenant.id,
        lambda s: replace(
            s, guesses=replace(s.guesses, account_failures=failures, ip_failures=MAX_COUNT)
        ),
    )


async def run(url: str, rounds: int, per_round: int) -> None:
    slug = f"bench-guesses-{int(time.time())}"
    settings = Settings(database_url=url)  # production argon2 parameters
    await migrate(settings)
    services = await open_services(settings)
    try:
        tenant = (await services.tenants.create(slug=slug)).tenant
        new = NewUser(username="known", password=PASSWORD, emails=(Email(KNOWN, True),))
        await services.users.create(tenant.id, new)
        app = create_app(
            replace(settings, kratos_tenant=slug, rocketchat_tenant=slug), services=services
        )
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app, client=("198.51.100.7", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                for stage, failures, statuses in (
                    ("wrong password", MAX_COUNT, {400, 401}),
                    ("throttled", 1, {429}),
                ):
                    await _budgets(services, tenant, failures)
                    ops = {}
                    for door, login in _logins(tenant).items():
                        for who, account in (("known", KNOWN), ("unknown", UNKNOWN)):
                            if stage == "throttled":
                                await login(http, account)  # spends the budget of one
                            ops[f"{door} {who}"] = _expecting(http, login, account, statuses)
                    samples = await measure(ops, rounds=rounds, per_round=per_round)
                    _report(stage, samples)
    finally:
        await services.close()


def _report(stage: str, samples: dict[str, list[float]]) -> None:
    print(f"{stage}:")
    for door in ("pxyz", "kratos", "rocketchat"):
        known = statistics.median(samples[f"{door} known"])
        unknown = statistics.median(samples[f"{door} unknown"])
        verdict = "ok" if 0.8 <= unknown / known <= 1.2 else "OUTSIDE 20%"
        print(
            f"  {door:>10}: known {known * 1e3:7.2f} ms, unknown {unknown * 1e3:7.2f} ms, "
            f"ratio {unknown / known:5.2f} {verdict}"
        )


if __name__ == "__main__":
    main(run, doc=__doc__ or "", per_round=10)
