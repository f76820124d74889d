"""Side-by-side costs of the session core's hot paths, as ratios measured in one run.

    .venv/bin/python bench/bench_core.py [--database-url URL] [--rounds N]

Baseline: a bare indexed `SELECT ... WHERE token_digest = ?` on the same engine and database.
Measured against it: `SessionService.authenticate` (token -> live session, user and tenant) and a
complete password sign-in (attempt + session + device in one transaction, argon2 at test cost).
The machines are shared and noisy, so the rounds interleave and the report gives medians.
It migrates the database it is given and adds a tenant to it: point it at a scratch database
(the default is a temporary SQLite file).
"""

from __future__ import annotations

import time

from ratios import main, measure, report
from sqlalchemy import select

from sessiond.compose import migrate, open_services
from sessiond.domain.tokens import digest
from sessiond.services.context import Client
from sessiond.services.users import NewUser
from sessiond.settings import Settings
from sessiond.store.tables import sessions

UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/113.0.0.0 Safari/537.36"
)


async def run(url: str, rounds: int, per_round: int) -> None:
    settings = Settings(database_url=url, password_time_cost=1, password_memory_cost=1024)
    await migrate(settings)
    services = await open_services(settings)
    await services.feed.start()  # token checks believe their cache, as under `sessiond serve`
    try:
        tenant = (await services.tenants.create(slug=f"bench-{int(time.time())}")).tenant
        await services.users.create(tenant.id, NewUser(username="bench", password="bench-password"))
        client = Client(user_agent=UA, ip="198.51.100.7")
        signed = await services.auth.sign_in_password(
            tenant.id, identifier="bench", password="bench-password", client=client
        )
        assert signed.issued is not None
        token = signed.issued.token
        engine = services.deps.store.engine

        async def bare_lookup() -> object:
            async with engine.connect() as conn:
                query = select(sessions).where(sessions.c.token_digest == digest(token))
                return (await conn.execute(query)).first()

        async def authenticate() -> object:
            return await services.sessions.authenticate(tenant.id, token)

        async def sign_in() -> object:
            return await services.auth.sign_in_password(
                tenant.id, identifier="bench", password="bench-password", client=client
            )

        ops = {"bare lookup": bare_lookup, "authenticate": authenticate, "sign-in": sign_in}
        samples = await measure(ops, rounds=rounds, per_round=per_round)
        header = f"backend: {services.deps.store.backend}, {rounds} rounds x {per_round} calls"
        report(samples, baseline="bare lookup", header=header)
    finally:
        await services.close()


if __name__ == "__main__":
    main(run, doc=__doc__ or "", per_round=50)
