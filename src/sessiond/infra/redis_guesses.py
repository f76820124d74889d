"""The wrong-password counters in Redis, shared by every node: one sorted set per counter, a hit
per member scored by its time.

A script rather than a rate-limit library or WATCH/MULTI: a check reads its counters as they
stand, applies the rule of domain/guesses.py, and adds its hits only when the rule lets it through,
all inside Redis in one round trip, so that racing guesses cannot slip under the budget together,
no check retries under contention, and a refused try leaves no trace that would lengthen anyone
else's wait. The script's arithmetic is domain.guesses.wait's; tests/infra/test_redis_guesses.py
holds the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from sessiond.domain.errors import StorageUnavailable
from sessiond.domain.guesses import Counter, Hit, budget
from sessiond.domain.tenant import GuessLimits
from sessiond.infra.redis_bus import redis_client

PREFIX = "sessiond:guesses:"
UNAVAILABLE = "Redis could not be reached for the guess counters"

# KEYS: a sorted set per counter. ARGV: now, window and first delay (seconds), then for each key
# its budget and the hit's member. Returns the longest wait in seconds, "0" when the hits went in.
RESERVE = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local first_delay = tonumber(ARGV[3])
local since = string.format('%.6f', now - window)
local longest = 0
for i, key in ipairs(KEYS) do
  local budget = tonumber(ARGV[2 + 2 * i])
  local count = redis.call('ZCOUNT', key, since, '+inf')
  if count >= budget and count > 0 then
    local newest = tonumber(redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')[2])
    local delay = math.min(first_delay * 2 ^ math.min(count - budget, 64), window)
    longest = math.max(longest, newest + delay - now)
  end
end
if longest > 0 then
  return string.format('%.6f', longest)
end
local keep_ms = math.floor(window * 1000) + 1000
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. since)
  redis.call('ZADD', key, ARGV[1], ARGV[3 + 2 * i])
  redis.call('PEXPIRE', key, keep_ms)
end
return '0'
"""


def _key(counter: Counter) -> str:
    return f"{PREFIX}{counter.tenant_id.hex}:{counter.scope.value}:{counter.key}"


class RedisGuessCounters:
    def __init__(self, client: Redis, *, failed: Callable[[], None] | None = None) -> None:
        """`failed` hears each command that failed (for `/metrics`)."""
        self._redis = client
        self._failed = failed
        self._reserve = client.register_script(RESERVE)

    @classmethod
    def from_url(cls, url: str, *, failed: Callable[[], None] | None = None) -> RedisGuessCounters:
        return cls(redis_client(url, retries=1), failed=failed)

    async def reserve(
        self, hits: Sequence[Hit], *, limits: GuessLimits, now: datetime
    ) -> timedelta:
        """One round trip (the script is sent once per connection pool, then run by digest)."""
        args: list[str | int] = [
            repr(now.timestamp()),
            int(limits.window.total_seconds()),
            int(limits.first_delay.total_seconds()),
        ]
        for hit in hits:
            args += [budget(hit.counter.scope, limits), hit.id.hex]
        try:
            found = await self._reserve(keys=[_key(hit.counter) for hit in hits], args=args)
        except (RedisError, OSError) as exc:
            raise self._unavailable() from exc
        return timedelta(seconds=float(found))

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
