"""The real ASGI app in process, lifespan included, for HTTP tests through httpx."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from asgi_lifespan import LifespanManager

from sessiond.app import create_app
from sessiond.domain.tenant import Tenant
from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.helpers.tenants import unique_slug


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


@dataclass(frozen=True)
class EveryDoor:
    """A client of the app and one tenant that all three doors serve."""

    http: httpx.AsyncClient
    services: Services
    tenant: Tenant


@asynccontextmanager
async def every_door(settings: Settings, services: Services) -> AsyncIterator[EveryDoor]:
    tenant = (await services.tenants.create(slug=unique_slug("doors"))).tenant
    served = dataclasses.replace(settings, kratos_tenant=tenant.slug, rocketchat_tenant=tenant.slug)
    async with app_client(served, services) as http:
        yield EveryDoor(http, services, tenant)
