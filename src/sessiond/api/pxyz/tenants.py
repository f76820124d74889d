"""Backend API: tenants, their session settings and their session stats."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from sessiond.api.kit import config_of
from sessiond.api.pxyz import tenant_wire
from sessiond.api.pxyz.caller import KeyCaller, secret_key_caller
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.errors import InvalidInput, TenantNotFound
from sessiond.domain.tenant import MAX_DURATION, Environment, LifetimeChange

router = APIRouter(prefix="/api/v0")
CallerDep = Annotated[KeyCaller, Depends(secret_key_caller)]
MAX_MINUTES = int(MAX_DURATION.total_seconds() // 60)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateTenant(_Body):
    name: str = Field(min_length=4, max_length=32)
    environment: Literal["development", "staging", "production"]
    slug: str | None = Field(default=None, min_length=4, max_length=32)
    orgId: str | None = None
    domain: str | None = None


class UpdateTenant(_Body):
    name: str | None = Field(default=None, min_length=4, max_length=32)
    slug: str | None = Field(default=None, min_length=4, max_length=32)
    iconId: str | None = None
    logoId: str | None = None


class SessionSettingsBody(_Body):
    sessionMaximumLifetimeEnabled: bool | None = None
    sessionMaximumLifetime: int | None = Field(default=None, ge=1, le=MAX_MINUTES)
    sessionInactivityTimeoutEnabled: bool | None = None
    # 0 is what a tenant's answer shows while the timeout is off, so it can be sent back as read.
    sessionInactivityTimeout: int | None = Field(default=None, ge=0, le=MAX_MINUTES)


@router.get("/tenants")
async def list_tenants(caller: CallerDep) -> OrjsonResponse:
    caller.require_platform()
    tenants = await caller.services.tenants.list_all()
    return OrjsonResponse([tenant_wire.tenant(t) for t in tenants])


@router.post("/tenants")
async def create_tenant(body: CreateTenant, caller: CallerDep) -> OrjsonResponse:
    """A new tenant. Its secret key is not shown: rotate it to get one (or use the platform key)."""
    caller.require_platform()
    created = await caller.services.tenants.create(
        slug=body.slug, name=body.name, environment=Environment(body.environment)
    )
    return OrjsonResponse(tenant_wire.tenant(created.tenant))


@router.get("/tenants/slug/{slug}")
async def get_tenant_by_slug(slug: str, caller: CallerDep) -> OrjsonResponse:
    """How a script holding only a secret key finds its tenant's id and public key."""
    tenant = await caller.services.tenants.get_by_slug(slug)
    if caller.tenant_id not in (None, tenant.id):
        raise TenantNotFound(f"tenant {slug[:64]!r} does not exist")
    return OrjsonResponse(tenant_wire.tenant(tenant))


@router.get("/tenants/{id}")
async def get_tenant(id: str, caller: CallerDep) -> OrjsonResponse:
    tenant = await caller.services.tenants.get(caller.tenant(id, what="id"))
    return OrjsonResponse(tenant_wire.tenant(tenant))


@router.put("/tenants/{id}")
async def update_tenant(
    id: str, body: UpdateTenant, caller: CallerDep, request: Request
) -> OrjsonResponse:
    tenant_id = caller.tenant(id, what="id")
    if body.iconId or body.logoId:
        raise InvalidInput("tenant images are not supported by sessiond", field="iconId")
    tenant = await caller.services.tenants.rename(
        tenant_id, name=body.name, slug=body.slug, protected=config_of(request).served_slugs
    )
    return OrjsonResponse(tenant_wire.tenant(tenant))


@router.delete("/tenants/{id}")
async def delete_tenant(id: str, caller: CallerDep, request: Request) -> OrjsonResponse:
    tenant_id = caller.tenant(id, what="id")
    await caller.services.tenants.delete(tenant_id, protected=config_of(request).served_slugs)
    return OrjsonResponse(True)


@router.post("/tenants/{id}/rotate-secret-key")
async def rotate_secret_key(id: str, caller: CallerDep) -> OrjsonResponse:
    """Revokes every secret key of the tenant and answers the new one, shown only here."""
    key = await caller.services.tenants.rotate_secret_key(caller.tenant(id, what="id"))
    return OrjsonResponse({"status": "success", "secretKey": key.raw})


@router.get("/auth/tenants/{id}")
async def get_auth_tenant(id: str, caller: CallerDep) -> OrjsonResponse:
    tenant = await caller.services.tenants.get(caller.tenant(id, what="id"))
    return OrjsonResponse(tenant_wire.tenant_with_auth(tenant))


@router.put("/auth/tenants/{id}/session")
async def update_session_settings(
    id: str, body: SessionSettingsBody, caller: CallerDep
) -> OrjsonResponse:
    """Minutes, as pxyz has them (see `LifetimeChange` for what the switches do)."""
    tenant_id = caller.tenant(id, what="id")
    change = LifetimeChange(
        max_lifetime_enabled=body.sessionMaximumLifetimeEnabled,
        max_lifetime=_minutes(body.sessionMaximumLifetime),
        inactivity_timeout_enabled=body.sessionInactivityTimeoutEnabled,
        inactivity_timeout=_timeout(
            body.sessionInactivityTimeout, body.sessionInactivityTimeoutEnabled
        ),
    )
    tenant = await caller.services.tenants.change_lifetimes(tenant_id, change)
    return OrjsonResponse(tenant_wire.tenant_with_auth(tenant))


@router.get("/auth/stats/sessions-by-day")
async def sessions_by_day(
    caller: CallerDep, tenant: Annotated[str, Query(alias="tenantId")]
) -> OrjsonResponse:
    days = await caller.services.stats.sessions_by_day(caller.tenant(tenant))
    return OrjsonResponse([{"date": d.day.isoformat(), "count": d.count} for d in days])


def _minutes(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(minutes=value)


def _timeout(value: int | None, enabled: bool | None) -> timedelta | None:
    """The inactivity timeout sent; 0 (as read while it is off) only with the switch off."""
    if value != 0:
        return _minutes(value)
    if enabled is False:
        return None
    raise InvalidInput(
        "sessionInactivityTimeout must be at least 1 minute to be on",
        field="sessionInactivityTimeout",
    )
