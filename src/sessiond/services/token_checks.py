"""Keeps this process's token cache in step with every change, wherever it was made.

Every change that can make a cached token check wrong is written to the invalidation log in the
transaction that makes it (`store/repositories/invalidations.py`). This process hears of it three
ways: its own commits at once (`committed`), its peers' commits over Redis when configured
(`Bus`), and, always, by reading the log: every `poll_every` seconds without Redis (the cache is
then believed only while a recent poll read the whole log), once a second with Redis as a safety
net for a publish lost between a peer's commit and its crash.

On PostgreSQL, sequence numbers are handed out when rows are written, not when they commit, so a
poll can see 11 before 10 commits. Skipped numbers are remembered and asked for again until they
appear or `GAP_PATIENCE` passes (a rolled-back transaction leaves a hole for good).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sessiond.domain.errors import StorageUnavailable
from sessiond.domain.invalidation import Invalidation
from sessiond.infra.token_cache import Feed, TokenCache
from sessiond.store.repositories.invalidations import Logged
from sessiond.store.uow import Store

log = logging.getLogger(__name__)

POLL_BATCH = 10_000
GAP_PATIENCE = 120.0  # seconds a skipped sequence number is waited for
MAX_GAPS = 10_000
KEEP_LOG = timedelta(minutes=10)  # a process that could not poll for half of this drops its cache
PRUNE_EVERY = 60.0


class Bus(Protocol):
    async def publish(self, invalidations: Sequence[Invalidation]) -> None: ...

    async def listen(
        self,
        *,
        on_message: Callable[[list[Invalidation]], None],
        on_up: Callable[[], None],
        on_down: Callable[[], None],
    ) -> None: ...

    async def close(self) -> None: ...


class CacheFeed:
    def __init__(
        self,
        *,
        store: Store,
        cache: TokenCache[Any],
        bus: Bus | None,
        poll_every: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._cache = cache
        self._bus = bus
        self._poll_every = poll_every
        self._monotonic = monotonic
        self._last_seq: int | None = None
        self._gaps: dict[int, float] = {}
        self._last_read: float | None = None
        self._pruned_at = 0.0
        self._failing = False
        self._tasks: list[asyncio.Task[None]] = []

    async def committed(self, invalidations: Sequence[Invalidation]) -> None:
        """Hears this process's own commits (`Store.on_commit`)."""
        self._cache.apply(invalidations)
        if self._bus is not None:
            await self._bus.publish(invalidations)

    async def start(self) -> None:
        """Starts reading (and, with Redis, listening); a second call does nothing."""
        if self._tasks:
            return
        self._tasks.append(asyncio.create_task(self._poll_forever()))
        if self._bus is not None:
            listening = self._bus.listen(
                on_message=self._cache.apply,
                on_up=self._cache.push_up,
                on_down=self._cache.push_down,
            )
            self._tasks.append(asyncio.create_task(listening))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._bus is not None:
            await self._bus.close()

    async def poll(self) -> None:
        """Reads the log past what this process has seen and applies it."""
        started = self._monotonic()
        if self._last_read is not None and started - self._last_read > KEEP_LOG.total_seconds() / 2:
            self._cache.clear()  # rows this process never read may have been pruned
            self._last_seq = None
        async with self._store.unit_of_work(write=False) as uow:
            if self._last_seq is None:
                self._last_seq = await uow.invalidations.latest()
                self._gaps.clear()
                rows: list[Logged] = []
            else:
                rows = await uow.invalidations.since(
                    self._last_seq, also=list(self._gaps), limit=POLL_BATCH
                )
        self._absorb(rows, started)
        if rows:
            self._cache.apply([row.invalidation for row in rows])
        self._last_read = started
        if len(rows) < POLL_BATCH:
            self._cache.polled(started=started)
        if started - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = started
            await self._prune()

    def _absorb(self, rows: list[Logged], now: float) -> None:
        last = self._last_seq or 0
        for row in rows:
            if row.seq in self._gaps:
                del self._gaps[row.seq]
            elif row.seq > last:
                self._gaps.update(dict.fromkeys(range(last + 1, row.seq), now))
                last = row.seq
        self._last_seq = last
        self._gaps = {seq: seen for seq, seen in self._gaps.items() if now - seen < GAP_PATIENCE}
        if len(self._gaps) > MAX_GAPS:
            self._gaps.clear()
            self._cache.clear()

    async def _prune(self) -> None:
        async with self._store.unit_of_work() as uow:
            await uow.invalidations.prune(before=datetime.now(UTC) - KEEP_LOG)
            await uow.commit()

    async def _poll_forever(self) -> None:
        while True:
            try:
                await self.poll()
            except Exception as exc:  # the loop must outlive any one failure
                if not self._failing:
                    log.warning(
                        "cannot read the invalidation log (%s); token checks read the database",
                        exc.message if isinstance(exc, StorageUnavailable) else type(exc).__name__,
                    )
                self._failing = True
            else:
                if self._failing:
                    log.info("reading the invalidation log again")
                self._failing = False
            await asyncio.sleep(self._poll_every)


def feed_kind(bus: Bus | None) -> Feed:
    return Feed.POLLED if bus is None else Feed.PUSHED
