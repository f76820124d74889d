"""The pxyz door in process (tests/helpers/asgi.py) and two tenants with their secret keys."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.helpers.asgi import app_client
from tests.helpers.pxyz import Keyed, keyed_tenant


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
