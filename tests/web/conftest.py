"""The site the page tests drive: the whole app on the test's backend, one tenant, its user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from sessiond.domain.user import Email
from sessiond.services.container import Services
from sessiond.services.users import NewUser
from sessiond.settings import Settings
from tests.helpers.asgi import app_client
from tests.helpers.tenants import unique_slug
from tests.helpers.web import CHROME_WINDOWS, EMAIL, PASSWORD, Site


@pytest.fixture
async def site(settings: Settings, services: Services) -> AsyncIterator[Site]:
    tenant = (await services.tenants.create(slug=unique_slug("web"))).tenant
    user = await services.users.create(
        tenant.id,
        NewUser(username="ada", password=PASSWORD, emails=(Email(EMAIL, verified=True),)),
    )
    doors = replace(settings, kratos_tenant=tenant.slug, rocketchat_tenant=tenant.slug)
    async with app_client(doors, services) as http:
        http.headers["user-agent"] = CHROME_WINDOWS
        yield Site(http, services, tenant, user)
