"""Backend API: a tenant's webhook endpoints (a sessiond extension; docs/events.md). Only the
answer that creates an endpoint shows its signing secret."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from sessiond.api.pxyz import wire
from sessiond.api.pxyz.caller import KeyCaller, secret_key_caller
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.ids import parse_id
from sessiond.services.owners import Owned

router = APIRouter(prefix="/api/v0/webhooks")
CallerDep = Annotated[KeyCaller, Depends(secret_key_caller)]


class CreateWebhook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenantId: str
    url: str = Field(max_length=2048)
    events: list[str] = Field(min_length=1, max_length=32)


@router.get("")
async def list_webhooks(
    caller: CallerDep, tenant: Annotated[str, Query(alias="tenantId")]
) -> OrjsonResponse:
    endpoints = await caller.services.webhooks.endpoints(caller.tenant(tenant))
    return OrjsonResponse([wire.webhook(e) for e in endpoints])


@router.post("", status_code=201)
async def create_webhook(body: CreateWebhook, caller: CallerDep) -> OrjsonResponse:
    tenant_id = caller.tenant(body.tenantId)
    endpoint = await caller.services.webhooks.create(
        tenant_id, url=body.url, event_types=body.events
    )
    return OrjsonResponse({**wire.webhook(endpoint), "secret": endpoint.secret}, status_code=201)


@router.get("/{id}")
async def get_webhook(id: str, caller: CallerDep) -> OrjsonResponse:
    tenant_id, endpoint_id = await _home(caller, id)
    return OrjsonResponse(wire.webhook(await caller.services.webhooks.get(tenant_id, endpoint_id)))


@router.delete("/{id}")
async def delete_webhook(id: str, caller: CallerDep) -> OrjsonResponse:
    tenant_id, endpoint_id = await _home(caller, id)
    await caller.services.webhooks.delete(tenant_id, endpoint_id)
    return OrjsonResponse({"deleted": True})


async def _home(caller: KeyCaller, text: str) -> tuple[uuid.UUID, uuid.UUID]:
    endpoint_id = parse_id(text)
    return await caller.home_of(Owned.WEBHOOK, endpoint_id), endpoint_id
