from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.store.tables import server_secrets


class ServerSecretRepository:
    """Secrets every node must share (the page-token key), kept in the database they share."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get_or_create(self, name: str, *, at: datetime) -> bytes:
        query = select(server_secrets.c.value).where(server_secrets.c.name == name)
        value = (await self._conn.execute(query)).scalar_one_or_none()
        if value is None:
            try:
                async with self._conn.begin_nested():
                    await self._conn.execute(
                        insert(server_secrets).values(
                            name=name, value=secrets.token_hex(32), created_at=at
                        )
                    )
            except IntegrityError:
                pass  # another node created it first; both use that one
            value = (await self._conn.execute(query)).scalar_one()
        return bytes.fromhex(value)

    async def delete(self, name: str) -> bool:
        result = await self._conn.execute(
            delete(server_secrets).where(server_secrets.c.name == name)
        )
        return result.rowcount > 0
