"""Recording administrative actions (domain/audit.py) and reading them back.

Who acts is told once per request, by the door that authenticated an administrative caller (a
secret key, or a user whose permission it checked), or once per command by the CLI: `ACTOR` holds
it for the rest of the request, and the dispatcher scopes it to the request. Services then record
an action in the unit of work that makes it, with `record`; without an actor nothing is recorded.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from datetime import datetime

from sessiond.domain.audit import Actor, AuditEntry
from sessiond.domain.ids import new_id
from sessiond.services.context import Deps
from sessiond.store.uow import UnitOfWork

ACTOR: ContextVar[Actor | None] = ContextVar("sessiond_actor", default=None)


def act_as(actor: Actor) -> None:
    """The caller of the current request (or command) is `actor` from now on."""
    ACTOR.set(actor)


async def record(
    uow: UnitOfWork,
    deps: Deps,
    action: str,
    *,
    tenant_id: uuid.UUID | None,
    target: uuid.UUID | str | None = None,
) -> None:
    actor = ACTOR.get()
    if actor is None:
        return
    named = target.hex if isinstance(target, uuid.UUID) else target
    entry = AuditEntry(new_id(), deps.clock.now(), actor, action, tenant_id, named)
    await uow.audit.add(entry)


class AuditService:
    def __init__(self, *, deps: Deps) -> None:
        self._deps = deps

    async def newest(
        self, *, tenant_id: uuid.UUID | None = None, before: datetime | None = None, limit: int
    ) -> list[AuditEntry]:
        async with self._deps.store.unit_of_work(write=False) as uow:
            return await uow.audit.newest(tenant_id=tenant_id, before=before, limit=limit)
