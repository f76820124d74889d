"""Backend API: sign-in and sign-up attempts (failed sign-ins included)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from sessiond.api.pxyz import wire
from sessiond.api.pxyz.caller import KeyCaller, secret_key_caller
from sessiond.api.pxyz.paging import created_at, envelope, parse_paging
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.ids import parse_id
from sessiond.services.owners import Owned

router = APIRouter(prefix="/api/v0/auth")
CallerDep = Annotated[KeyCaller, Depends(secret_key_caller)]
PerPage = Annotated[str | None, Query(alias="perPage")]
TenantId = Annotated[str, Query(alias="tenantId")]


@router.get("/sign-ins")
async def list_sign_ins(
    caller: CallerDep, tenant: TenantId, perPage: PerPage = None, cursor: str | None = None
) -> OrjsonResponse:
    paging = parse_paging(perPage, cursor)
    page, related = await caller.services.attempts.list_sign_ins(
        caller.tenant(tenant), paging.request()
    )
    data = [wire.sign_in_attempt(a, related) for a in page.items]
    return OrjsonResponse(envelope(data, page, paging, created_at))


@router.get("/sign-ins/{id}")
async def get_sign_in(id: str, caller: CallerDep) -> OrjsonResponse:
    attempt_id = parse_id(id)
    tenant_id = await caller.home_of(Owned.SIGN_IN, attempt_id)
    attempt, related = await caller.services.attempts.get_sign_in(tenant_id, attempt_id)
    return OrjsonResponse(wire.sign_in_attempt(attempt, related))


@router.delete("/sign-ins/{id}")
async def delete_sign_in(id: str, caller: CallerDep) -> OrjsonResponse:
    attempt_id = parse_id(id)
    tenant_id = await caller.home_of(Owned.SIGN_IN, attempt_id)
    await caller.services.attempts.delete_sign_in(tenant_id, attempt_id)
    return OrjsonResponse({"deleted": True})


@router.get("/sign-ups")
async def list_sign_ups(
    caller: CallerDep, tenant: TenantId, perPage: PerPage = None, cursor: str | None = None
) -> OrjsonResponse:
    paging = parse_paging(perPage, cursor)
    page, related = await caller.services.attempts.list_sign_ups(
        caller.tenant(tenant), paging.request()
    )
    data = [wire.sign_up_attempt(a, related) for a in page.items]
    body = envelope(data, page, paging, created_at)
    del body["status"]  # the document's sign-up list has no `status`
    return OrjsonResponse(body)


@router.get("/sign-ups/{id}")
async def get_sign_up(id: str, caller: CallerDep) -> OrjsonResponse:
    attempt_id = parse_id(id)
    tenant_id = await caller.home_of(Owned.SIGN_UP, attempt_id)
    attempt, related = await caller.services.attempts.get_sign_up(tenant_id, attempt_id)
    return OrjsonResponse(wire.sign_up_attempt(attempt, related))


@router.delete("/sign-ups/{id}")
async def delete_sign_up(id: str, caller: CallerDep) -> OrjsonResponse:
    attempt_id = parse_id(id)
    tenant_id = await caller.home_of(Owned.SIGN_UP, attempt_id)
    await caller.services.attempts.delete_sign_up(tenant_id, attempt_id)
    return OrjsonResponse({"deleted": True})
