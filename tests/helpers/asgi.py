"""The real ASGI app in process, lifespan included, for HTTP tests through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager

from sessiond.app import create_app
from sessiond.services.container import Services
from sessiond.settings import Settings


@asynccontextmanager
async def app_client(
    settings: Settings, services: Services, *, client: tuple[str, int] = ("203.0.113.7", 50000)
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client wired to `create_app(settings, services=services)`; requests come from
    `client` as the peer address. The services stay open when the block ends."""
    app = create_app(settings, services=services)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://sessiond.test") as http:
            yield http
