"""A tenant's social (OAuth) sign-in providers. The client secret leaves only through `secret`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields, replace
from typing import Any

from sessiond.domain.errors import Conflict, InvalidInput, ProviderNotFound
from sessiond.domain.ids import new_id
from sessiond.domain.oauth import OAuthProvider, ProviderKey
from sessiond.domain.user import check_text
from sessiond.services import audit
from sessiond.services.context import Deps
from sessiond.services.tenants import require_tenant
from sessiond.store.uow import UnitOfWork

CLIENT_ID_MAX = 512
REDIRECT_URI_MAX = 2048
SECRET_MAX = 4096
MAX_SCOPES = 64


@dataclass(frozen=True, slots=True)
class ProviderChanges:
    """Fields to change; `None` leaves one as it is. `client_secret=""` clears the secret."""

    enabled: bool | None = None
    use_custom_credentials: bool | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    redirect_uri: str | None = None
    additional_scopes: list[str] | None = None


class ProviderService:
    def __init__(self, *, deps: Deps) -> None:
        self._deps = deps

    async def list(self, tenant_id: uuid.UUID) -> list[OAuthProvider]:
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            return await uow.providers.list_for_tenant(tenant_id)

    async def create(
        self, tenant_id: uuid.UUID, key: ProviderKey, changes: ProviderChanges
    ) -> OAuthProvider:
        """One provider per key and tenant; the second is a `Conflict`."""
        now = self._deps.clock.now()
        blank = OAuthProvider(
            id=new_id(),
            tenant_id=tenant_id,
            provider_key=key,
            enabled=False,
            use_custom_credentials=False,
            client_id=None,
            redirect_uri=None,
            authenticatable=True,
            auto_connect_accounts=False,
            created_at=now,
            updated_at=now,
        )
        provider = _changed(blank, changes)
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            await uow.tenants.lock(tenant_id)
            existing = await uow.providers.list_for_tenant(tenant_id)
            if any(p.provider_key is key for p in existing):
                raise Conflict(
                    f"this tenant already has a {key.value} provider", field="providerKey"
                )
            await uow.providers.add(provider)
            await audit.record(
                uow, self._deps, "providers.create", tenant_id=tenant_id, target=provider.id
            )
            await uow.commit()
        return provider

    async def get(self, tenant_id: uuid.UUID, provider_id: uuid.UUID) -> OAuthProvider:
        async with self._deps.store.unit_of_work(write=False) as uow:
            return await _require(uow, tenant_id, provider_id)

    async def secret(self, tenant_id: uuid.UUID, provider_id: uuid.UUID) -> str:
        return (await self.get(tenant_id, provider_id)).client_secret or ""

    async def update(
        self, tenant_id: uuid.UUID, provider_id: uuid.UUID, changes: ProviderChanges
    ) -> OAuthProvider:
        async with self._deps.store.unit_of_work() as uow:
            current = await _require(uow, tenant_id, provider_id, lock=True)
            updated = replace(_changed(current, changes), updated_at=self._deps.clock.now())
            await uow.providers.update(updated)
            await audit.record(
                uow, self._deps, "providers.update", tenant_id=tenant_id, target=provider_id
            )
            await uow.commit()
        return updated

    async def delete(self, tenant_id: uuid.UUID, provider_id: uuid.UUID) -> None:
        """Attempts made through the provider keep their record, without the link."""
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            if not await uow.providers.delete(tenant_id, provider_id):
                raise ProviderNotFound(f"provider {provider_id} does not exist")
            await audit.record(
                uow, self._deps, "providers.delete", tenant_id=tenant_id, target=provider_id
            )
            await uow.commit()


async def _require(
    uow: UnitOfWork, tenant_id: uuid.UUID, provider_id: uuid.UUID, *, lock: bool = False
) -> OAuthProvider:
    await require_tenant(uow, tenant_id)
    provider = await uow.providers.get(tenant_id, provider_id, lock=lock)
    if provider is None:
        raise ProviderNotFound(f"provider {provider_id} does not exist")
    return provider


def _changed(provider: OAuthProvider, changes: ProviderChanges) -> OAuthProvider:
    values: dict[str, Any] = {
        f.name: getattr(changes, f.name)
        for f in fields(changes)
        if getattr(changes, f.name) is not None
    }
    for name, limit in (
        ("client_id", CLIENT_ID_MAX),
        ("client_secret", SECRET_MAX),
        ("redirect_uri", REDIRECT_URI_MAX),
    ):
        if name in values:
            values[name] = check_text(values[name], field=name, max_length=limit) or None
    scopes = values.get("additional_scopes")
    if scopes is not None:
        values["additional_scopes"] = _scopes(scopes)
    return replace(provider, **values)


def _scopes(scopes: list[str]) -> list[str]:
    if len(scopes) > MAX_SCOPES or not all(isinstance(s, str) for s in scopes):
        raise InvalidInput(f"at most {MAX_SCOPES} scopes, each a string", field="additionalScopes")
    return [check_text(s, field="additionalScopes", max_length=256) for s in scopes]
