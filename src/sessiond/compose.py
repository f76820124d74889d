"""The composition root: Settings in, a store, its migrations and the services out."""

from __future__ import annotations

from sessiond.infra.clock import Clock, SystemClock
from sessiond.infra.pagetoken import PageTokenCodec
from sessiond.infra.passwords import PasswordHasher
from sessiond.infra.useragent import UserAgentParser
from sessiond.services.container import Services
from sessiond.services.context import Deps
from sessiond.settings import Settings
from sessiond.store.engine import create_engine
from sessiond.store.migrate import require_current_schema, upgrade
from sessiond.store.uow import Store

PAGE_TOKEN_SECRET = "page_tokens"


async def migrate(settings: Settings) -> None:
    """Upgrades the schema and gives an empty database the `default` tenant."""
    services = await open_services(settings, migrate_first=True)
    try:
        await services.tenants.ensure_default()
    finally:
        await services.close()


async def open_services(
    settings: Settings, *, clock: Clock | None = None, migrate_first: bool = False
) -> Services:
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    store = Store(engine)
    try:
        if migrate_first:
            await upgrade(engine)
        else:
            await require_current_schema(engine)
        clock = clock or SystemClock()
        async with store.unit_of_work() as uow:
            secret = await uow.secrets.get_or_create(PAGE_TOKEN_SECRET, at=clock.now())
            await uow.commit()
    except BaseException:
        await store.close()
        raise
    deps = Deps(
        store=store,
        clock=clock,
        passwords=PasswordHasher(
            time_cost=settings.password_time_cost, memory_cost=settings.password_memory_cost
        ),
        agents=UserAgentParser(),
        page_tokens=PageTokenCodec(secret=secret, purpose="sessions"),
    )
    return Services.build(deps)
