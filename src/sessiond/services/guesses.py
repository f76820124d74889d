"""Throttling of password guesses (the rules are in domain/guesses.py).

The counters live in Redis when one is configured, so that every node shares them, and in the
database otherwise. When Redis fails, checks count in the database until Redis answers again
(tried again every few seconds): never "no limit".
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sessiond.domain.errors import StorageUnavailable, TooManyGuesses
from sessiond.domain.guesses import Counter, Hit, Scope, Tally, longest_wait
from sessiond.domain.ids import new_id
from sessiond.domain.tenant import GuessLimits, Tenant
from sessiond.services import audit
from sessiond.services.context import Deps

log = logging.getLogger(__name__)
REDIS_RETRY_AFTER = 5.0  # seconds the database keeps the counters after Redis failed


class GuessCounters(Protocol):
    async def reserve(
        self, hits: Sequence[Hit], *, limits: GuessLimits, now: datetime
    ) -> timedelta:
        """Atomically: adds the hits unless the longest wait of their counters as they stand
        (domain/guesses.py) is positive; returns that wait."""

    async def forget(self, *, hits: Sequence[Hit] = (), counters: Sequence[Counter] = ()) -> None:
        """Takes back single hits and drops whole counters, at once."""

    async def clear(self, counter: Counter) -> int: ...

    async def close(self) -> None: ...


class DatabaseGuessCounters:
    def __init__(self, *, deps: Deps) -> None:
        self._store = deps.store

    async def reserve(
        self, hits: Sequence[Hit], *, limits: GuessLimits, now: datetime
    ) -> timedelta:
        def wait_for(tallies: Sequence[Tally]) -> timedelta:
            return longest_wait(hits, tallies, limits=limits, now=now)

        async with self._store.unit_of_work() as uow:
            wait = await uow.guesses.reserve(hits, window=limits.window, wait_for=wait_for)
            await uow.commit()
        return wait

    async def forget(self, *, hits: Sequence[Hit] = (), counters: Sequence[Counter] = ()) -> None:
        async with self._store.unit_of_work() as uow:
            await uow.guesses.remove(hits)
            for counter in counters:
                await uow.guesses.clear(counter)
            await uow.commit()

    async def clear(self, counter: Counter) -> int:
        async with self._store.unit_of_work() as uow:
            cleared = await uow.guesses.clear(counter)
            await uow.commit()
        return cleared

    async def close(self) -> None:
        """The store is closed by its owner."""


@dataclass(frozen=True, slots=True)
class Reservation:
    """The hits one password check holds, and the counters that hold them."""

    hits: tuple[Hit, ...]
    counters: GuessCounters


class GuessThrottle:
    def __init__(
        self,
        *,
        deps: Deps,
        database: GuessCounters,
        redis: GuessCounters | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._deps = deps
        self._database = database
        self._redis = redis
        self._monotonic = monotonic
        self._redis_failed_at: float | None = None

    async def reserve(self, tenant: Tenant, *, identifier: str, ip: str | None) -> Reservation:
        """Counts a password check against the account and the client IP before it runs;
        raises TooManyGuesses, having counted nothing, while either must wait."""
        now = self._deps.clock.now()
        counters = [Counter.for_account(tenant.id, identifier)]
        if ip:
            counters.append(Counter.for_ip(tenant.id, ip))
        hits = tuple(Hit(new_id(), counter, now) for counter in counters)
        store, waiting = await self._reserve(hits, tenant.settings.guesses, now)
        if waiting > timedelta(0):
            raise TooManyGuesses(waiting)
        return Reservation(hits, store)

    async def right_password(self, reservation: Reservation) -> None:
        """The account's counter starts again, and the IP's hit is taken back. The password was
        right whatever happens here: a store that fails only leaves the hits counted."""
        hits = reservation.hits
        try:
            await reservation.counters.forget(
                hits=[h for h in hits if h.counter.scope is Scope.IP],
                counters=[h.counter for h in hits if h.counter.scope is Scope.ACCOUNT],
            )
        except StorageUnavailable as exc:
            log.warning("a right password's guess counters stay as they were: %s", exc.message)

    async def release(self, reservation: Reservation) -> None:
        """Takes the hits back: the check they counted never finished."""
        try:
            await reservation.counters.forget(hits=reservation.hits)
        except StorageUnavailable as exc:
            log.warning("an unfinished password check stays counted: %s", exc.message)

    async def unlock(
        self, tenant_id: uuid.UUID, *, identifiers: Iterable[str] = (), ips: Iterable[str] = ()
    ) -> int:
        """Clears the counters of these identifiers and client IPs wherever they are kept (an
        operator's command: Redis must answer). Returns how many failures were forgiven."""
        identifiers, ips = list(identifiers), list(ips)
        counters = [Counter.for_account(tenant_id, i) for i in identifiers]
        counters += [Counter.for_ip(tenant_id, ip) for ip in ips]
        cleared = 0
        for counter in set(counters):
            found = await self._database.clear(counter)
            if self._redis is not None:
                found = max(found, await self._redis.clear(counter))
            cleared += found
        async with self._deps.store.unit_of_work() as uow:
            target = ", ".join([*identifiers, *ips])[:128]
            await audit.record(
                uow, self._deps, "guesses.unlock", tenant_id=tenant_id, target=target
            )
            await uow.commit()
        return cleared

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()

    async def _reserve(
        self, hits: Sequence[Hit], limits: GuessLimits, now: datetime
    ) -> tuple[GuessCounters, timedelta]:
        if self._redis is not None and self._redis_usable():
            try:
                waiting = await self._redis.reserve(hits, limits=limits, now=now)
            except StorageUnavailable:
                if self._redis_failed_at is None:
                    log.warning("Redis failed; password guesses are counted in the database")
                self._redis_failed_at = self._monotonic()
            else:
                if self._redis_failed_at is not None:
                    log.info("password guesses are counted in Redis again")
                self._redis_failed_at = None
                return self._redis, waiting
        return self._database, await self._database.reserve(hits, limits=limits, now=now)

    def _redis_usable(self) -> bool:
        failed = self._redis_failed_at
        return failed is None or self._monotonic() - failed >= REDIS_RETRY_AFTER
