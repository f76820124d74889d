"""Keeps this process's token cache in step with every change, wherever it was made.

Every change that can make a cached token check wrong is written to the invalidation log in the
transaction that makes it (`store/repositories/invalidations.py`). This process hears of it three
ways: its own commits at once (`committed`), its peers' commits over Redis when configured
(`Bus`), and, always, by reading the log: every `poll_every` seconds without Redis (the cache is
then believed only while a recent poll read the whole log), once a second with Redis as a safety
net for a publish lost between a peer's commit and its crash.

The reading and listening run on a thread of their own, with their own event loop and database
connection: on the server's loop they would queue behind the very requests a busy server is
answering, fall behind, and leave the cache unbelieved exactly when it matters most.

On PostgreSQL, sequence numbers are handed out when rows are written, not when they commit, so a
poll can see 11 before 10 commits. Skipped numbers are remembered and asked for again until they
appear or `GAP_PATIENCE` passes (a rolled-back transaction leaves a hole for good).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sessiond.domain.errors import StorageUnavailable
from sessiond.domain.invalidation import Invalidation
from sessiond.infra.token_cache import Feed, TokenCache
from sessiond.store.log_readers import Logged, LogReader
from sessiond.store.uow import Store

log = logging.getLogger(__name__)

POLL_BATCH = 10_000
# How long a shutdown waits for the feed's thread to finish its last read and close.
STOP_WAIT = 5.0
GAP_PATIENCE = 120.0  # seconds a skipped sequence number is waited for
MAX_GAPS = 10_000
STARTUP_LOOKBACK = 1_000  # rows re-read at start, to find numbers not yet committed
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
        caches: Sequence[TokenCache[Any]],
        bus: Bus | None,
        poll_every: float,
        open_store: Callable[[], Store],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._open_store = open_store
        self._caches = tuple(caches)
        self._bus = bus
        self._poll_every = poll_every
        self._monotonic = monotonic
        self._last_seq: int | None = None
        self._gaps: dict[int, float] = {}
        self._last_read: float | None = None
        self._pruned_at = 0.0
        self._failing = False
        self._thread: threading.Thread | None = None
        self._running = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    async def committed(self, invalidations: Sequence[Invalidation]) -> None:
        """Hears this process's own commits (`Store.on_commit`)."""
        self._apply(invalidations)
        if self._bus is not None:
            await self._bus.publish(invalidations)

    async def start(self) -> None:
        """Starts reading (and, with Redis, listening) on the feed's thread; once only."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._run()), name="sessiond-cache-feed", daemon=True
        )
        self._thread.start()
        await asyncio.to_thread(self._running.wait)

    async def stop(self) -> None:
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is not None and loop is not None and stopping is not None:
            loop.call_soon_threadsafe(stopping.set)
            await asyncio.to_thread(thread.join, STOP_WAIT)
            if thread.is_alive():
                # A shutdown never hangs on the feed: its thread is a daemon, gone with the process.
                log.warning("the cache feed did not stop within %.0f s; leaving it", STOP_WAIT)
        self._thread = None
        if self._bus is not None:
            await self._bus.close()

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            store = self._open_store()
        except BaseException:
            self._running.set()
            raise
        tasks = [asyncio.create_task(self._poll_forever(store))]
        if self._bus is not None:
            listening = self._bus.listen(
                on_message=self._apply, on_up=self._push_up, on_down=self._push_down
            )
            tasks.append(asyncio.create_task(listening))
        self._running.set()
        try:
            await self._stopping.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await store.close()

    async def poll(self) -> None:
        """Reads the log once on the caller's loop (the thread reads it on its own)."""
        async with self._store.log_reader() as reader:
            await self._read(reader)

    async def _read(self, reader: LogReader) -> None:
        """Reads the log past what this process has seen and applies it.

        The first read starts a little before the newest row, so that rows numbered earlier but
        not yet committed are waited for like any other gap."""
        started = self._monotonic()
        if self._last_read is not None and started - self._last_read > KEEP_LOG.total_seconds() / 2:
            self._clear()  # rows this process never read may have been pruned
            self._last_seq = None
        if self._last_seq is None:
            self._gaps.clear()
            self._last_seq = max(await reader.latest() - STARTUP_LOOKBACK, 0)
        rows = await reader.since(self._last_seq, also=list(self._gaps), limit=POLL_BATCH)
        self._absorb(rows, started)
        if rows:
            self._apply([row.invalidation for row in rows])
        self._last_read = started
        if len(rows) < POLL_BATCH:
            for cache in self._caches:
                cache.polled(started=started)

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
            self._clear()

    def _apply(self, invalidations: Sequence[Invalidation]) -> None:
        for cache in self._caches:
            cache.apply(invalidations)

    def _clear(self) -> None:
        for cache in self._caches:
            cache.clear()

    def _push_up(self) -> None:
        for cache in self._caches:
            cache.push_up()

    def _push_down(self) -> None:
        for cache in self._caches:
            cache.push_down()

    async def _prune(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            await uow.invalidations.prune(before=datetime.now(UTC) - KEEP_LOG)
            await uow.commit()

    async def _poll_forever(self, store: Store) -> None:
        """Reads the log every `poll_every` seconds on one connection, opening another when it
        fails; prunes it now and then."""
        while True:
            try:
                async with store.log_reader() as reader:
                    while True:
                        await self._read(reader)
                        if self._failing:
                            log.info("reading the invalidation log again")
                        self._failing = False
                        if self._monotonic() - self._pruned_at >= PRUNE_EVERY:
                            self._pruned_at = self._monotonic()
                            await self._prune(store)
                        await asyncio.sleep(self._poll_every)
            except Exception as exc:  # the loop must outlive any one failure
                if not self._failing:
                    log.warning(
                        "cannot read the invalidation log (%s); token checks read the database",
                        exc.message if isinstance(exc, StorageUnavailable) else type(exc).__name__,
                    )
                self._failing = True
            await asyncio.sleep(self._poll_every)


def feed_kind(bus: Bus | None) -> Feed:
    return Feed.POLLED if bus is None else Feed.PUSHED
