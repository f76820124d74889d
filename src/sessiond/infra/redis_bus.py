"""Invalidations between nodes over Redis pub/sub.

A commit publishes what it invalidated; every process subscribes and applies what it hears. Pub/sub
keeps nothing for a subscriber that is away, so the subscriber never reconnects silently: the client
runs without retries, a reconnect is a new subscription the listener is told about (`on_up`), and a
connection that stops answering pings for `silence` seconds is treated as lost (`on_down`).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from sessiond.domain.invalidation import Invalidation, Scope

CHANNEL = "sessiond:invalidations"
log = logging.getLogger(__name__)


def encode(invalidations: Sequence[Invalidation]) -> bytes:
    return orjson.dumps([[i.scope.value, i.tenant_id.hex, i.target.hex] for i in invalidations])


def decode(raw: bytes) -> list[Invalidation]:
    return [
        Invalidation(Scope(scope), uuid.UUID(hex=tenant), uuid.UUID(hex=target))
        for scope, tenant, target in orjson.loads(raw)
    ]


def redis_client(url: str, *, retries: int) -> Redis:
    """A client that retries a command `retries` times on a new connection when its connection
    is lost (a pooled connection goes stale when Redis restarts). The retry must be the asyncio
    one: redis-py's synchronous `Retry` only creates the coroutine, which then fails unretried."""
    return Redis.from_url(
        url,
        retry=Retry(NoBackoff(), retries),
        socket_connect_timeout=2,
        socket_timeout=5,
        socket_keepalive=True,
    )


class RedisBus:
    def __init__(
        self,
        url: str,
        *,
        silence: float = 3.0,
        reconnect_after: float = 0.5,
        failed: Callable[[], None] | None = None,
    ) -> None:
        """`failed` hears each publish that failed and each subscription lost (for `/metrics`)."""
        self._url = url
        self._failed = failed or _unheard
        self._silence = silence
        self._reconnect_after = reconnect_after
        # One retry: a pooled connection that went stale when Redis restarted fails once.
        self._publisher = redis_client(url, retries=1)
        self._publish_failing = False

    async def publish(self, invalidations: Sequence[Invalidation]) -> None:
        """Best effort: peers that miss this still read it from the database log."""
        try:
            await self._publisher.publish(CHANNEL, encode(invalidations))
        except (RedisError, OSError):
            self._failed()
            if not self._publish_failing:
                log.warning("cannot publish cache invalidations to Redis; peers poll the log")
            self._publish_failing = True
            return
        if self._publish_failing:
            log.info("publishing cache invalidations to Redis again")
        self._publish_failing = False

    async def listen(
        self,
        *,
        on_message: Callable[[list[Invalidation]], None],
        on_up: Callable[[], None],
        on_down: Callable[[], None],
    ) -> None:
        """Runs until cancelled, subscribing again whenever the subscription is lost. A message
        that cannot be read counts as a lost one: `on_up` again, which drops the cache."""
        failing = False

        def up() -> None:
            nonlocal failing
            on_up()
            if failing:
                log.info("Redis subscription is back; token checks use the cache again")
            failing = False

        while True:
            try:
                await self._subscription(on_message=on_message, on_up=up)
            except (RedisError, OSError, _Silent) as exc:
                self._failed()
                on_down()
                if not failing:
                    log.warning(
                        "Redis subscription lost (%s); token checks read the database meanwhile",
                        type(exc).__name__,
                    )
                failing = True
                await asyncio.sleep(self._reconnect_after)

    async def _subscription(
        self, *, on_message: Callable[[list[Invalidation]], None], on_up: Callable[[], None]
    ) -> None:
        client = redis_client(self._url, retries=0)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(CHANNEL)
            heard = time.monotonic()
            pinged = False
            while True:
                message: dict[str, Any] | None = await pubsub.get_message(timeout=1.0)
                now = time.monotonic()
                if message is None:
                    if now - heard > self._silence:
                        raise _Silent
                    if not pinged:
                        await pubsub.ping()
                        pinged = True
                    continue
                heard, pinged = now, False
                if message["type"] == "subscribe":
                    on_up()
                elif message["type"] == "message":
                    try:
                        found = decode(message["data"])
                    except (ValueError, TypeError, KeyError):
                        log.warning("unreadable message on %s; dropping the token cache", CHANNEL)
                        on_up()
                        continue
                    on_message(found)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            await client.aclose()

    async def close(self) -> None:
        await self._publisher.aclose()


def _unheard() -> None:
    """No one listens for this bus's failures."""


class _Silent(Exception):
    """The subscription stopped answering pings."""
