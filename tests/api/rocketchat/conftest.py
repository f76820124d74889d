"""Fixtures of the Rocket.Chat door: the app in process over a tenant of its own, with a real SMTP
server on loopback (the `inbox` fixture) for the codes it mails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from sessiond.domain.tenant import Tenant
from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.helpers.asgi import app_client
from tests.helpers.mail import Inbox
from tests.helpers.rocketchat import CHROME
from tests.helpers.tenants import unique_slug


@pytest.fixture
async def rc_tenant(services: Services) -> Tenant:
    return (await services.tenants.create(slug=unique_slug("rc"))).tenant


@pytest.fixture
def settings(settings: Settings, inbox: Inbox) -> Settings:
    """Services that mail second-factor codes to the SMTP server on loopback."""
    return replace(settings, smtp_url=inbox.url)


@pytest.fixture
def rc_settings(settings: Settings, rc_tenant: Tenant) -> Settings:
    return replace(settings, rocketchat_tenant=rc_tenant.slug)


@pytest.fixture
async def rc(rc_settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(rc_settings, services) as http:
        http.headers["user-agent"] = CHROME
        yield http
