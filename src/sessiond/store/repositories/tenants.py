from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.domain.invalidation import Scope
from sessiond.domain.tenant import (
    Environment,
    GuessLimits,
    LimitPolicy,
    SessionSettings,
    Tenant,
)
from sessiond.store.errors import conflict_on_duplicate
from sessiond.store.repositories.invalidations import UNLOGGED, InvalidationLog, Unlogged
from sessiond.store.tables import tenants


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def _delta(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)


def _values(tenant: Tenant) -> dict[str, Any]:
    s = tenant.settings
    return {
        "slug": tenant.slug,
        "name": tenant.name,
        "public_key": tenant.public_key,
        "max_lifetime_s": _seconds(s.max_lifetime),
        "inactivity_timeout_s": _seconds(s.inactivity_timeout),
        "earliest_extend_s": _seconds(s.earliest_possible_extend),
        "max_live_sessions": s.max_live_sessions,
        "limit_policy": s.limit_policy.value,
        "ended_retention_s": _seconds(s.ended_retention),
        "guess_window_s": _seconds(s.guesses.window),
        "account_failures": s.guesses.account_failures,
        "ip_failures": s.guesses.ip_failures,
        "guess_first_delay_s": _seconds(s.guesses.first_delay),
        "updated_at": tenant.updated_at,
        "environment": tenant.environment.value,
    }


def tenant_from_row(row: RowMapping) -> Tenant:
    settings = SessionSettings(
        max_lifetime=timedelta(seconds=row["max_lifetime_s"]),
        inactivity_timeout=_delta(row["inactivity_timeout_s"]),
        earliest_possible_extend=_delta(row["earliest_extend_s"]),
        max_live_sessions=row["max_live_sessions"],
        limit_policy=LimitPolicy(row["limit_policy"]),
        ended_retention=timedelta(seconds=row["ended_retention_s"]),
        guesses=GuessLimits(
            window=timedelta(seconds=row["guess_window_s"]),
            account_failures=row["account_failures"],
            ip_failures=row["ip_failures"],
            first_delay=timedelta(seconds=row["guess_first_delay_s"]),
        ),
    )
    return Tenant(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        public_key=row["public_key"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        settings=settings,
        environment=Environment(row["environment"]),
    )


class TenantRepository:
    def __init__(
        self, conn: AsyncConnection, *, log: InvalidationLog | Unlogged = UNLOGGED
    ) -> None:
        self._conn = conn
        self._log = log

    async def add(self, tenant: Tenant) -> None:
        async with conflict_on_duplicate(f"tenant {tenant.slug!r} already exists", field="slug"):
            await self._conn.execute(
                insert(tenants).values(
                    id=tenant.id, created_at=tenant.created_at, **_values(tenant)
                )
            )

    async def update(self, tenant: Tenant) -> None:
        async with conflict_on_duplicate(f"tenant {tenant.slug!r} already exists", field="slug"):
            await self._conn.execute(
                update(tenants).where(tenants.c.id == tenant.id).values(**_values(tenant))
            )
        await self._log.record(Scope.TENANT, tenant.id, [tenant.id])

    async def get(self, tenant_id: uuid.UUID) -> Tenant | None:
        return await self._one(tenants.c.id == tenant_id)

    async def get_by_slug(self, slug: str) -> Tenant | None:
        return await self._one(tenants.c.slug == slug)

    async def get_by_public_key(self, public_key: str) -> Tenant | None:
        return await self._one(tenants.c.public_key == public_key)

    async def lock(self, tenant_id: uuid.UUID) -> None:
        """Serialises changes that span a tenant's rows (PostgreSQL row lock; SQLite holds the
        write lock already)."""
        await self._conn.execute(
            select(tenants.c.id).where(tenants.c.id == tenant_id).with_for_update()
        )

    async def any_exist(self) -> bool:
        return (await self._conn.execute(select(tenants.c.id).limit(1))).first() is not None

    async def list_all(self) -> list[Tenant]:
        result = await self._conn.execute(select(tenants).order_by(tenants.c.created_at))
        return [tenant_from_row(row) for row in result.mappings()]

    async def delete(self, tenant_id: uuid.UUID) -> bool:
        result = await self._conn.execute(delete(tenants).where(tenants.c.id == tenant_id))
        if result.rowcount == 0:
            return False
        await self._log.record(Scope.TENANT, tenant_id, [tenant_id])
        return True

    async def _one(self, condition: Any) -> Tenant | None:
        row = (await self._conn.execute(select(tenants).where(condition))).mappings().first()
        return None if row is None else tenant_from_row(row)
