"""A tenant's live sessions counted by device, for the administrators' charts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.store.repositories.sessions import live_condition
from sessiond.store.tables import devices, sessions, users

_WITH_USERS = sessions.join(users, users.c.id == sessions.c.user_id)


class SessionCounts:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def live_by_profile(
        self, tenant_id: uuid.UUID, *, now: datetime, idle_cutoff: datetime | None
    ) -> dict[uuid.UUID | None, int]:
        """Live sessions per device profile (None: no device), from
        `ix_sessions_device_profile`, which holds what liveness reads of a session."""
        profile = sessions.c.device_profile_id
        query = (
            select(profile, func.count())
            .select_from(_WITH_USERS)
            .where(
                sessions.c.tenant_id == tenant_id,
                live_condition(now=now, idle_cutoff=idle_cutoff),
            )
            .group_by(profile)
        )
        return {row[0]: int(row[1]) for row in await self._conn.execute(query)}

    async def live_by_location(
        self, tenant_id: uuid.UUID, *, now: datetime, idle_cutoff: datetime | None
    ) -> dict[str, int]:
        """Live sessions per recorded location ("" when unknown or without a device)."""
        location = func.coalesce(devices.c.location, "")
        query = (
            select(location, func.count())
            .select_from(_WITH_USERS.outerjoin(devices, devices.c.id == sessions.c.device_id))
            .where(
                sessions.c.tenant_id == tenant_id,
                live_condition(now=now, idle_cutoff=idle_cutoff),
            )
            .group_by(location)
        )
        return {row[0]: int(row[1]) for row in await self._conn.execute(query)}
