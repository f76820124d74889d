"""What the outbox holds for a tenant, oldest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sessiond.domain.tenant import Tenant
from sessiond.services.container import Services
from sessiond.store.tables import events


async def events_of(services: Services, tenant: Tenant) -> list[tuple[str, dict[str, Any]]]:
    async with services.deps.store.unit_of_work(write=False) as uow:
        query = (
            select(events.c.type, events.c.payload)
            .where(events.c.tenant_id == tenant.id)
            .order_by(events.c.occurred_at, events.c.id)
        )
        rows = await uow.sessions._conn.execute(query)
        return [(row[0], row[1]) for row in rows]
