"""The Kratos door in process (tests/helpers/asgi.py) on a tenant of its own, and its key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.helpers.asgi import app_client
from tests.helpers.kratos import Door
from tests.helpers.tenants import unique_slug


@pytest.fixture
async def door(settings: Settings, services: Services) -> AsyncIterator[Door]:
    created = await services.tenants.create(slug=unique_slug("kratos"))
    scoped = replace(settings, kratos_tenant=created.tenant.slug)
    async with app_client(scoped, services) as http:
        yield Door(http, services, created.tenant, created.secret_key.raw)
