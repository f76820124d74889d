"""Tenants of a test's own, so tests sharing a database never see each other's rows."""

from __future__ import annotations

import uuid

from sessiond.domain.tenant import SessionSettings, Tenant
from sessiond.services.container import Services


def unique_slug(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def tenant_with(services: Services, settings: SessionSettings) -> Tenant:
    return (await services.tenants.create(slug=unique_slug(), settings=settings)).tenant
