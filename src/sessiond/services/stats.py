"""Counts for a tenant's dashboard, and for the operator's `/metrics`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sessiond.services.context import Deps
from sessiond.services.tenants import require_tenant

DEFAULT_DAYS = 30


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    count: int


class StatsService:
    def __init__(self, *, deps: Deps) -> None:
        self._deps = deps

    async def sessions_by_day(
        self, tenant_id: uuid.UUID, *, days: int = DEFAULT_DAYS
    ) -> list[DayCount]:
        """Sessions issued on each of the last `days` UTC days, today last, zeros included."""
        today = self._deps.clock.now().date()
        first = today - timedelta(days=days - 1)
        since = datetime.combine(first, time(), tzinfo=self._deps.clock.now().tzinfo)
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            counts = await uow.sessions.count_created_by_day(tenant_id, since=since)
        return [
            DayCount(day, counts.get(day.isoformat(), 0))
            for day in (first + timedelta(days=n) for n in range(days))
        ]

    async def unexpired_sessions(self) -> dict[str, int]:
        """Every tenant's sessions neither ended nor expired, by slug: one indexed query, cheap
        enough for every scrape of `/metrics`."""
        async with self._deps.store.unit_of_work(write=False) as uow:
            return await uow.sessions.count_unexpired_by_tenant(now=self._deps.clock.now())
