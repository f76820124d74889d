from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from sessiond.domain.tenant import Tenant
from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.asgi import app_client
from tests.conftest import unique_slug

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/113.0.0.0 Safari/537.36"
)
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Keyed:
    tenant: Tenant
    key: str

    @property
    def pid(self) -> str:
        return "c" + self.tenant.id.hex

    @property
    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.key}"}

    @property
    def public(self) -> dict[str, str]:
        return {"x-public-key": self.tenant.public_key, "user-agent": CHROME_WINDOWS}


async def keyed_tenant(services: Services) -> Keyed:
    created = await services.tenants.create(slug=unique_slug("pxyz"))
    return Keyed(created.tenant, created.secret_key.raw)


@pytest.fixture
async def http(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings, services) as client:
        yield client


@pytest.fixture
async def a(services: Services) -> Keyed:
    return await keyed_tenant(services)


@pytest.fixture
async def b(services: Services) -> Keyed:
    return await keyed_tenant(services)
