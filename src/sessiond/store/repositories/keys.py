from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.domain.apikey import ApiKey
from sessiond.store.tables import api_keys


def _key(row: RowMapping) -> ApiKey:
    return ApiKey(
        id=row["id"],
        tenant_id=row["tenant_id"],
        digest=row["digest"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


class ApiKeyRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, key: ApiKey) -> None:
        await self._conn.execute(
            insert(api_keys).values(
                id=key.id,
                tenant_id=key.tenant_id,
                digest=key.digest,
                created_at=key.created_at,
                revoked_at=key.revoked_at,
            )
        )

    async def get_by_digest(self, digest: str) -> ApiKey | None:
        query = select(api_keys).where(api_keys.c.digest == digest)
        row = (await self._conn.execute(query)).mappings().first()
        return None if row is None else _key(row)

    async def list_for_tenant(self, tenant_id: uuid.UUID) -> list[ApiKey]:
        query = (
            select(api_keys)
            .where(api_keys.c.tenant_id == tenant_id)
            .order_by(api_keys.c.created_at)
        )
        return [_key(row) for row in (await self._conn.execute(query)).mappings()]

    async def revoke(self, tenant_id: uuid.UUID, key_id: uuid.UUID, *, at: datetime) -> bool:
        """Revokes the tenant's live key `key_id`; False if the tenant has no such live key."""
        result = await self._conn.execute(
            update(api_keys)
            .where(
                api_keys.c.id == key_id,
                api_keys.c.tenant_id == tenant_id,
                api_keys.c.revoked_at.is_(None),
            )
            .values(revoked_at=at)
        )
        return result.rowcount > 0

    async def revoke_all_for_tenant(self, tenant_id: uuid.UUID, *, at: datetime) -> int:
        result = await self._conn.execute(
            update(api_keys)
            .where(api_keys.c.tenant_id == tenant_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return result.rowcount
