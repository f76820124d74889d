"""Backend API: a tenant's sessions (seed 000), a user's, one session, and ending one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from sessiond.api.pxyz import wire
from sessiond.api.pxyz.caller import KeyCaller, secret_key_caller
from sessiond.api.pxyz.paging import envelope, parse_paging, session_created_at
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.errors import SessionNotFound
from sessiond.domain.ids import parse_id
from sessiond.domain.listing import SessionQuery
from sessiond.domain.session import EndReason
from sessiond.services.owners import Owned

router = APIRouter(prefix="/api/v0")
CallerDep = Annotated[KeyCaller, Depends(secret_key_caller)]
PerPage = Annotated[str | None, Query(alias="perPage")]


@router.get("/tenants/{tenantId}/auth/sessions")
async def list_sessions(
    tenantId: str, caller: CallerDep, perPage: PerPage = None, cursor: str | None = None
) -> OrjsonResponse:
    tenant_id = caller.tenant(tenantId)
    return await _page(caller, SessionQuery(tenant_id=tenant_id), perPage, cursor)


@router.get("/auth/users/{userId}/sessions")
async def list_user_sessions(
    userId: str, caller: CallerDep, perPage: PerPage = None, cursor: str | None = None
) -> OrjsonResponse:
    user_id = parse_id(userId, what="userId")
    tenant_id = await caller.home_of(Owned.USER, user_id)
    await caller.services.users.get(tenant_id, user_id)
    return await _page(caller, SessionQuery(tenant_id=tenant_id, user_id=user_id), perPage, cursor)


@router.get("/auth/sessions/{id}")
async def get_session(id: str, caller: CallerDep) -> OrjsonResponse:
    session_id = parse_id(id)
    tenant_id = await caller.home_of(Owned.SESSION, session_id)
    record = await caller.services.sessions.get(tenant_id, session_id)
    related = await caller.services.attempts.behind_sessions(tenant_id, [record])
    return OrjsonResponse(wire.session(record, related))


@router.delete("/auth/sessions/{id}")
async def delete_session(id: str, caller: CallerDep) -> OrjsonResponse:
    """Ends the session (its row stays, ended, for the audit trail) and answers as pxyz does.
    pxyz deletes for good, so a session already ended is not found the second time."""
    session_id = parse_id(id)
    tenant_id = await caller.home_of(Owned.SESSION, session_id)
    if not await caller.services.sessions.end(
        tenant_id, session_id, reason=EndReason.ADMIN_REVOKED, by=caller.label
    ):
        raise SessionNotFound(f"session {id[:64]} does not exist")
    return OrjsonResponse({"deleted": True})


async def _page(
    caller: KeyCaller, query: SessionQuery, per_page: str | None, cursor: str | None
) -> OrjsonResponse:
    paging = parse_paging(per_page, cursor)
    page = await caller.services.sessions.list_keyset(
        query, size=paging.per_page, token=paging.token, start_after=paging.start_after
    )
    related = await caller.services.attempts.behind_sessions(query.tenant_id, page.items)
    data = [wire.session(record, related) for record in page.items]
    return OrjsonResponse(envelope(data, page, paging, session_created_at))
