"""Backend API: a tenant's social (OAuth) providers. Only `/secret` shows a client secret."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from sessiond.api.pxyz import wire
from sessiond.api.pxyz.caller import KeyCaller, secret_key_caller
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.errors import InvalidInput
from sessiond.domain.ids import parse_id
from sessiond.domain.oauth import ProviderKey
from sessiond.services.owners import Owned
from sessiond.services.providers import ProviderChanges

router = APIRouter(prefix="/api/v0/auth/tenant-social-providers")
CallerDep = Annotated[KeyCaller, Depends(secret_key_caller)]


class ProviderFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    useCustomCredentials: bool | None = None
    clientId: str | None = None
    clientSecret: str | None = Field(default=None, repr=False)
    redirectUri: str | None = None
    additionalScopes: Any = None

    def changes(self) -> ProviderChanges:
        scopes = self.additionalScopes
        if scopes is not None and not isinstance(scopes, list):
            raise InvalidInput("additionalScopes must be a list of strings", field="scopes")
        return ProviderChanges(
            enabled=self.enabled,
            use_custom_credentials=self.useCustomCredentials,
            client_id=self.clientId,
            client_secret=self.clientSecret,
            redirect_uri=self.redirectUri,
            additional_scopes=scopes,
        )


class CreateProvider(ProviderFields):
    tenantId: str
    providerKey: ProviderKey
    enabled: bool


@router.get("")
async def list_providers(
    caller: CallerDep, tenant: Annotated[str, Query(alias="tenantId")]
) -> OrjsonResponse:
    providers = await caller.services.providers.list(caller.tenant(tenant))
    return OrjsonResponse([wire.oauth_provider(p) for p in providers])


@router.post("")
async def create_provider(body: CreateProvider, caller: CallerDep) -> OrjsonResponse:
    tenant_id = caller.tenant(body.tenantId)
    provider = await caller.services.providers.create(tenant_id, body.providerKey, body.changes())
    return OrjsonResponse(wire.oauth_provider(provider))


@router.get("/{id}/secret")
async def get_secret(id: str, caller: CallerDep) -> OrjsonResponse:
    tenant_id, provider_id = await _home(caller, id)
    return OrjsonResponse(
        {"secret": await caller.services.providers.secret(tenant_id, provider_id)}
    )


@router.get("/{id}")
async def get_provider(id: str, caller: CallerDep) -> OrjsonResponse:
    tenant_id, provider_id = await _home(caller, id)
    provider = await caller.services.providers.get(tenant_id, provider_id)
    return OrjsonResponse(wire.oauth_provider(provider))


@router.put("/{id}")
async def update_provider(id: str, body: ProviderFields, caller: CallerDep) -> OrjsonResponse:
    tenant_id, provider_id = await _home(caller, id)
    provider = await caller.services.providers.update(tenant_id, provider_id, body.changes())
    return OrjsonResponse(wire.oauth_provider(provider))


@router.delete("/{id}")
async def delete_provider(id: str, caller: CallerDep) -> OrjsonResponse:
    tenant_id, provider_id = await _home(caller, id)
    await caller.services.providers.delete(tenant_id, provider_id)
    return OrjsonResponse({"deleted": True})


async def _home(caller: KeyCaller, text: str) -> tuple[uuid.UUID, uuid.UUID]:
    provider_id = parse_id(text)
    return await caller.home_of(Owned.PROVIDER, provider_id), provider_id
