"""The public session API: whoami, my other sessions, revoking them, native logout."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.kit import json_object, served_tenant_id, services_of
from sessiond.api.kratos.caller import authenticated, authenticated_aal, path_id, view_of
from sessiond.api.kratos.errors import KratosError
from sessiond.api.kratos.pagination import (
    OFFSET_QUERY,
    offset_links,
    parse_offset,
    set_paging_headers,
)
from sessiond.api.kratos.wire import render_session
from sessiond.api.openapi import STRING, documented, obj
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.errors import SessionNotFound, SessionNotLive
from sessiond.domain.listing import OffsetPage, SessionQuery, SessionState
from sessiond.domain.session import EndReason

router = APIRouter()
LOGOUT_REASON = (
    "The provided Ory Session Token could not be found, is invalid, or otherwise malformed."
)


@router.get("/sessions/whoami")
async def whoami(request: Request) -> Response:
    auth = await authenticated_aal(request)
    tenant, record = auth.tenant, auth.record
    body = render_session(record, view_of(request, tenant, admin=False))
    return OrjsonResponse(body, headers={"X-Kratos-Authenticated-Identity-Id": str(record.user.id)})


@router.get("/sessions", openapi_extra=documented(query=OFFSET_QUERY))
async def list_my_sessions(request: Request) -> Response:
    auth = await authenticated_aal(request)
    tenant, current = auth.tenant, auth.record
    paging = parse_offset(request.query_params)
    query = SessionQuery(
        tenant_id=tenant.id,
        user_id=current.user.id,
        state=SessionState.LIVE,
        exclude_session_id=current.session.id,
    )
    page = await services_of(request).sessions.list_offset(
        query, OffsetPage(offset=paging.offset, limit=paging.size)
    )
    view = view_of(request, tenant, admin=False)
    response = OrjsonResponse([render_session(r, view) for r in page.items])
    link = offset_links(request.url.path, request.query_params, paging, page.total)
    set_paging_headers(response, link=link, total=page.total)
    return response


@router.delete("/sessions")
async def disable_my_other_sessions(request: Request) -> Response:
    auth = await authenticated(request)
    tenant, current = auth.tenant, auth.record
    count = await services_of(request).sessions.end_for_user(
        tenant.id,
        current.user.id,
        reason=EndReason.REVOKED_OTHERS,
        by=str(current.user.id),
        keep=current.session.id,
    )
    return OrjsonResponse({"count": count})


@router.delete("/sessions/{session_id}", status_code=204)
async def disable_my_session(request: Request, session_id: str) -> Response:
    auth = await authenticated(request)
    tenant, current = auth.tenant, auth.record
    target = path_id(session_id)
    if target == current.session.id:
        raise KratosError(400, reason="cannot revoke current session")
    # Kratos answers 204 for a session that is missing or someone else's.
    with contextlib.suppress(SessionNotFound):
        await services_of(request).sessions.end(
            tenant.id,
            target,
            reason=EndReason.REVOKED,
            by=str(current.user.id),
            user_id=current.user.id,
        )
    return Response(status_code=204)


@router.delete(
    "/self-service/logout/api",
    status_code=204,
    openapi_extra=documented(body=obj(["session_token"], session_token=STRING)),
)
async def perform_native_logout(request: Request) -> Response:
    tenant_id = await served_tenant_id(request)
    token = _logout_token(await json_object(request, empty=b"{}"))
    try:
        record = (await services_of(request).sessions.authenticate(tenant_id, token)).record
    except SessionNotLive:
        raise KratosError(403, reason=LOGOUT_REASON) from None
    await services_of(request).sessions.end(
        tenant_id, record.session.id, reason=EndReason.SIGNED_OUT, by=str(record.user.id)
    )
    return Response(status_code=204)


def _logout_token(body: dict[str, Any]) -> str:
    token = body.get("session_token")
    if not isinstance(token, str) or not token:
        raise KratosError(400, reason="session_token is required")
    return token
