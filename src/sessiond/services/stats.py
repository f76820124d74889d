"""Counts for a tenant's dashboard, and for the operator's `/metrics`."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sessiond.domain.device import country_of
from sessiond.domain.session import live_idle_cutoff
from sessiond.services.context import Deps
from sessiond.services.tenants import require_tenant

DEFAULT_DAYS = 30


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True, slots=True)
class LiveByDevice:
    """A tenant's live sessions counted by each part of their device, most first."""

    browser: list[tuple[str, int]]
    os: list[tuple[str, int]]
    kind: list[tuple[str, int]]
    country: list[tuple[str, int]]


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

    async def live_by_device(self, tenant_id: uuid.UUID) -> LiveByDevice:
        """Live sessions by browser (or app), OS, kind of device and country; "" is unknown."""
        now = self._deps.clock.now()
        async with self._deps.store.unit_of_work(write=False) as uow:
            tenant = await require_tenant(uow, tenant_id)
            cutoff = live_idle_cutoff(now=now, settings=tenant.settings)
            by_profile = await uow.session_counts.live_by_profile(
                tenant_id, now=now, idle_cutoff=cutoff
            )
            by_location = await uow.session_counts.live_by_location(
                tenant_id, now=now, idle_cutoff=cutoff
            )
            profiles = {p.id: p for p in await uow.device_profiles.of_tenant(tenant_id)}
        browser: Counter[str] = Counter()
        system: Counter[str] = Counter()
        kind: Counter[str] = Counter()
        for profile_id, count in by_profile.items():
            profile = None if profile_id is None else profiles.get(profile_id)
            browser[(profile and profile.browser) or ""] += count
            system[(profile and profile.os_name) or ""] += count
            kind[profile.kind if profile else "desktop"] += count
        country: Counter[str] = Counter()
        for location, count in by_location.items():
            country[country_of(location)] += count
        return LiveByDevice(*(c.most_common() for c in (browser, system, kind, country)))

    async def unexpired_sessions(self) -> dict[str, int]:
        """Every tenant's sessions neither ended nor expired, by slug: one indexed query, cheap
        enough for every scrape of `/metrics`."""
        async with self._deps.store.unit_of_work(write=False) as uow:
            return await uow.sessions.count_unexpired_by_tenant(now=self._deps.clock.now())
