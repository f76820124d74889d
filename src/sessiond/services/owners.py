"""Finding the tenant a session, user, attempt or provider belongs to, for platform callers."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sessiond.domain.errors import NotFound
from sessiond.services.context import Deps


class Owned(StrEnum):
    SESSION = "session"
    USER = "user"
    SIGN_IN = "sign_in"
    SIGN_UP = "sign_up"
    PROVIDER = "provider"
    WEBHOOK = "webhook"


class OwnerService:
    def __init__(self, *, deps: Deps) -> None:
        self._deps = deps

    async def tenant_of(self, kind: Owned, item_id: uuid.UUID) -> uuid.UUID:
        async with self._deps.store.unit_of_work(write=False) as uow:
            tenant_id = await uow.owners.tenant_of(kind.value, item_id)
        if tenant_id is None:
            raise NotFound(f"{kind.value.replace('_', '-')} {item_id} does not exist")
        return tenant_id
