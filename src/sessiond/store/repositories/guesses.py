"""The wrong-password counters in the database, for when Redis does not hold them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from sessiond.domain.guesses import Counter, Hit, Tally
from sessiond.store.dialect import lock_for_transaction
from sessiond.store.tables import guess_hits


def _of(counter: Counter) -> list[ColumnElement[bool]]:
    return [
        guess_hits.c.tenant_id == counter.tenant_id,
        guess_hits.c.scope == counter.scope.value,
        guess_hits.c.key == counter.key,
    ]


def _lock_key(counter: Counter) -> bytes:
    return f"guesses:{counter.tenant_id}:{counter.scope.value}:{counter.key}".encode()


class GuessHitRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def reserve(
        self,
        hits: Sequence[Hit],
        *,
        window: timedelta,
        wait_for: Callable[[Sequence[Tally]], timedelta],
    ) -> timedelta:
        """Adds the hits unless `wait_for` their counters' tallies in the window is positive, and
        returns that wait; the counters stay locked until the transaction ends, and hits that
        left the window go."""
        tallies = []
        for hit in sorted(hits, key=lambda h: (h.counter.scope, h.counter.key)):
            await lock_for_transaction(self._conn, _lock_key(hit.counter))
        for hit in hits:
            since = hit.at - window
            counter = _of(hit.counter)
            await self._conn.execute(delete(guess_hits).where(*counter, guess_hits.c.at < since))
            query = select(func.count(), func.max(guess_hits.c.at)).where(*counter)
            count, newest = (await self._conn.execute(query)).one()
            tallies.append(Tally(count, newest))
        wait = wait_for(tallies)
        if hits and wait <= timedelta(0):
            rows = [
                {
                    "id": hit.id,
                    "tenant_id": hit.counter.tenant_id,
                    "scope": hit.counter.scope.value,
                    "key": hit.counter.key,
                    "at": hit.at,
                }
                for hit in hits
            ]
            await self._conn.execute(insert(guess_hits), rows)
        return wait

    async def remove(self, hits: Sequence[Hit]) -> None:
        if hits:
            await self._conn.execute(
                delete(guess_hits).where(guess_hits.c.id.in_([hit.id for hit in hits]))
            )

    async def clear(self, counter: Counter) -> int:
        result = await self._conn.execute(delete(guess_hits).where(*_of(counter)))
        return result.rowcount

    async def prune(self, tenant_id: uuid.UUID, *, before: datetime) -> int:
        result = await self._conn.execute(
            delete(guess_hits).where(guess_hits.c.tenant_id == tenant_id, guess_hits.c.at < before)
        )
        return result.rowcount
