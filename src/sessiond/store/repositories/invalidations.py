"""The invalidation log: one row per change that can make a cached token check wrong.

A repository that makes such a change records it here, in the same transaction, so the log holds
exactly the changes that committed. Every process reads the rows past the last one it saw and drops
what they name from its cache (`services/token_checks.py`, through `store/log_readers.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.domain.invalidation import Invalidation, Scope
from sessiond.store.tables import cache_invalidations as log


class InvalidationLog:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self.pending: list[Invalidation] = []

    async def record(
        self, scope: Scope, tenant_id: uuid.UUID, targets: Iterable[uuid.UUID]
    ) -> None:
        found = [Invalidation(scope, tenant_id, target) for target in dict.fromkeys(targets)]
        if not found:
            return
        at = datetime.now(UTC)  # the server's time, not the domain clock: it only ages rows out
        await self._conn.execute(
            insert(log),
            [
                {
                    "tenant_id": i.tenant_id,
                    "kind": i.scope.value,
                    "target": i.target,
                    "created_at": at,
                }
                for i in found
            ],
        )
        self.pending.extend(found)

    async def prune(self, *, before: datetime) -> int:
        result = await self._conn.execute(delete(log).where(log.c.created_at < before))
        return result.rowcount


class Unlogged:
    """Stands in for the log in a repository that only reads; a write through it is a bug."""

    async def record(
        self, scope: Scope, tenant_id: uuid.UUID, targets: Iterable[uuid.UUID]
    ) -> None:
        raise RuntimeError("this repository was opened without an invalidation log")


UNLOGGED = Unlogged()
