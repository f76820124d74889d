from __future__ import annotations

import uuid

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.store.tables import (
    oauth_providers,
    sessions,
    sign_in_attempts,
    sign_up_attempts,
    users,
    webhook_endpoints,
)

_TABLES: dict[str, Table] = {
    "session": sessions,
    "user": users,
    "sign_in": sign_in_attempts,
    "sign_up": sign_up_attempts,
    "provider": oauth_providers,
    "webhook": webhook_endpoints,
}


class OwnerRepository:
    """Which tenant holds a row, for callers allowed in every tenant (platform keys)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def tenant_of(self, kind: str, item_id: uuid.UUID) -> uuid.UUID | None:
        table = _TABLES[kind]
        query = select(table.c.tenant_id).where(table.c.id == item_id)
        found: uuid.UUID | None = (await self._conn.execute(query)).scalar_one_or_none()
        return found
