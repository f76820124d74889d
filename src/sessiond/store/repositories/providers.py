from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.domain.oauth import OAuthProvider, ProviderKey
from sessiond.store.tables import oauth_providers


def _provider(row: RowMapping) -> OAuthProvider:
    return OAuthProvider(
        id=row["id"],
        tenant_id=row["tenant_id"],
        provider_key=ProviderKey(row["provider_key"]),
        enabled=row["enabled"],
        use_custom_credentials=row["use_custom_credentials"],
        client_id=row["client_id"],
        redirect_uri=row["redirect_uri"],
        authenticatable=row["authenticatable"],
        auto_connect_accounts=row["auto_connect_accounts"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        client_secret=row["client_secret"],
        additional_scopes=list(row["additional_scopes"]),
        config=dict(row["config"]),
    )


def _values(provider: OAuthProvider) -> dict[str, Any]:
    return {
        "tenant_id": provider.tenant_id,
        "provider_key": provider.provider_key.value,
        "enabled": provider.enabled,
        "use_custom_credentials": provider.use_custom_credentials,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "redirect_uri": provider.redirect_uri,
        "additional_scopes": provider.additional_scopes,
        "authenticatable": provider.authenticatable,
        "auto_connect_accounts": provider.auto_connect_accounts,
        "config": provider.config,
        "updated_at": provider.updated_at,
    }


class OAuthProviderRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, provider: OAuthProvider) -> None:
        await self._conn.execute(
            insert(oauth_providers).values(
                id=provider.id, created_at=provider.created_at, **_values(provider)
            )
        )

    async def update(self, provider: OAuthProvider) -> None:
        await self._conn.execute(
            update(oauth_providers)
            .where(oauth_providers.c.id == provider.id)
            .values(**_values(provider))
        )

    async def get(
        self, tenant_id: uuid.UUID, provider_id: uuid.UUID, *, lock: bool = False
    ) -> OAuthProvider | None:
        """The provider; with `lock`, its row stays locked until the transaction ends
        (PostgreSQL; SQLite's write transaction holds the database already)."""
        query = select(oauth_providers).where(
            oauth_providers.c.tenant_id == tenant_id, oauth_providers.c.id == provider_id
        )
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).mappings().first()
        return None if row is None else _provider(row)

    async def list_for_tenant(self, tenant_id: uuid.UUID) -> list[OAuthProvider]:
        query = (
            select(oauth_providers)
            .where(oauth_providers.c.tenant_id == tenant_id)
            .order_by(oauth_providers.c.created_at)
        )
        return [_provider(row) for row in (await self._conn.execute(query)).mappings()]

    async def delete(self, tenant_id: uuid.UUID, provider_id: uuid.UUID) -> bool:
        result = await self._conn.execute(
            delete(oauth_providers).where(
                oauth_providers.c.tenant_id == tenant_id, oauth_providers.c.id == provider_id
            )
        )
        return result.rowcount > 0
