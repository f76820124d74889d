"""The Redis client every adapter shares survives a Redis restart: the first command on a pooled
connection that went stale is retried on a new one, so no publish and no guess count is lost."""

from __future__ import annotations

import asyncio

from sessiond.infra.redis_bus import redis_client
from tests.helpers.redis_server import RedisServer


async def test_a_command_on_a_connection_gone_stale_is_retried_on_a_new_one(
    redis_server: RedisServer,
) -> None:
    client = redis_client(redis_server.url, retries=1)
    try:
        await asyncio.gather(*(client.publish("sessiond:test", b"1") for _ in range(3)))
        redis_server.stop()
        redis_server.start()
        for _ in range(3):
            assert await client.publish("sessiond:test", b"2") == 0
        assert await client.set("sessiond:test", b"3")
    finally:
        await client.aclose()
