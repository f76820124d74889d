"""Services of a node that delivers webhooks quickly (short retries and polls) on the real clock:
receivers verify the signature's timestamp against their own clock."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sessiond.compose import open_services
from sessiond.domain.webhooks import Delivery
from sessiond.infra.clock import SystemClock
from sessiond.services.container import Services
from sessiond.settings import Settings

FAST = {
    "webhook_first_retry": 0.05,
    "webhook_poll": 0.05,
    "webhook_timeout": 2.0,
    "webhook_lease": 4.0,
}


@asynccontextmanager
async def delivering(database_url: str, **settings: Any) -> AsyncIterator[Services]:
    """Open services with their deliverer running, closed (and stopped) after the block."""
    chosen = Settings(
        database_url=database_url,
        password_time_cost=1,
        password_memory_cost=1024,
        db_pool_size=5,
        **{**FAST, **settings},
    )
    services = await open_services(chosen, clock=SystemClock())
    try:
        await services.deliverer.start()
        yield services
    finally:
        await services.close()


async def deliveries_until(
    services: Services, tenant_id: uuid.UUID, done: Callable[[list[Delivery]], bool]
) -> list[Delivery]:
    """The tenant's deliveries once `done` says so (within about 20 s)."""
    for _ in range(400):
        found = await services.webhooks.deliveries([tenant_id])
        if done(found):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"the deliveries never got there: {found}")
