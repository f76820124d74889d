"""The wrong-password counters in Redis, shared by every node: one sorted set per counter, a hit
per member scored by its time.

Plain commands rather than a rate-limit library: a check reads its counters as they stand, lets
the caller's rule decide, and adds its hits only when the rule lets it through, all atomically
(WATCH, then MULTI), so that racing guesses cannot slip under the budget together and a refused
try leaves no trace that would lengthen anyone else's wait.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError, WatchError

from sessiond.domain.errors import StorageUnavailable
from sessiond.domain.guesses import Counter, Hit, Tally
from sessiond.infra.redis_bus import redis_client

PREFIX = "sessiond:guesses:"
UNAVAILABLE = "Redis could not be reached for the guess counters"


def _key(counter: Counter) -> str:
    return f"{PREFIX}{counter.tenant_id.hex}:{counter.scope.value}:{counter.key}"


class RedisGuessCounters:
    def __init__(self, client: Redis, *, failed: Callable[[], None] | None = None) -> None:
        """`failed` hears each command that failed (for `/metrics`)."""
        self._redis = client
        self._failed = failed

    @classmethod
    def from_url(cls, url: str, *, failed: Callable[[], None] | None = None) -> RedisGuessCounters:
        return cls(redis_client(url, retries=1), failed=failed)

    async def reserve(
        self,
        hits: Sequence[Hit],
        *,
        window: timedelta,
        wait_for: Callable[[Sequence[Tally]], timedelta],
    ) -> timedelta:
        keys = [_key(hit.counter) for hit in hits]
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        return await self._reserve(pipe, keys, hits, window, wait_for)
                    except WatchError:
                        continue  # another check added its hits first: read again
        except (RedisError, OSError) as exc:
            raise self._unavailable() from exc

    async def _reserve(
        self,
        pipe: Pipeline,
        keys: list[str],
        hits: Sequence[Hit],
        window: timedelta,
        wait_for: Callable[[Sequence[Tally]], timedelta],
    ) -> timedelta:
        await pipe.watch(*keys)
        tallies = []
        for key, hit in zip(keys, hits, strict=True):
            since = hit.at.timestamp() - window.total_seconds()
            found: list[Any] = await pipe.zrangebyscore(key, since, "+inf", withscores=True)
            newest = datetime.fromtimestamp(float(found[-1][1]), UTC) if found else None
            tallies.append(Tally(len(found), newest))
        wait = wait_for(tallies)
        if wait > timedelta(0):
            await pipe.unwatch()  # type: ignore[no-untyped-call]
            return wait
        pipe.multi()  # type: ignore[no-untyped-call]
        for key, hit in zip(keys, hits, strict=True):
            at = hit.at.timestamp()
            pipe.zremrangebyscore(key, "-inf", f"({at - window.total_seconds()}")
            pipe.zadd(key, {hit.id.hex: at})
            pipe.pexpire(key, int(window.total_seconds() * 1000) + 1000)
        await pipe.execute()
        return wait

    async def forget(self, *, hits: Sequence[Hit] = (), counters: Sequence[Counter] = ()) -> None:
        """One round trip."""
        pipe = self._redis.pipeline(transaction=False)
        for hit in hits:
            pipe.zrem(_key(hit.counter), hit.id.hex)
        if counters:
            pipe.delete(*(_key(counter) for counter in counters))
        await self._run(pipe)

    async def clear(self, counter: Counter) -> int:
        """Deletes the counter; how many hits it held."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.zcard(_key(counter))
        pipe.delete(_key(counter))
        count, _ = await self._run(pipe)
        return int(count)

    async def close(self) -> None:
        await self._redis.aclose()

    async def _run(self, pipe: Pipeline) -> list[Any]:
        try:
            return await pipe.execute()
        except (RedisError, OSError) as exc:
            raise self._unavailable() from exc

    def _unavailable(self) -> StorageUnavailable:
        if self._failed is not None:
            self._failed()
        return StorageUnavailable(UNAVAILABLE)
