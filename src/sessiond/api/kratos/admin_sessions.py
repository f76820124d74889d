"""The admin session API: every session of the tenant (keyset), one session, extend, disable, and
an identity's sessions (offset pages)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.kit import services_of
from sessiond.api.kratos.caller import admin_tenant, path_id, view_of
from sessiond.api.kratos.errors import KratosError
from sessiond.api.kratos.filters import ACTIVE_QUERY, EXPAND_QUERY, active_state, expanded
from sessiond.api.kratos.pagination import (
    KEYSET_QUERY,
    OFFSET_QUERY,
    keyset_links,
    offset_links,
    page_size,
    parse_offset,
    set_paging_headers,
)
from sessiond.api.kratos.wire import render_session
from sessiond.api.openapi import documented
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.listing import OffsetPage, SessionQuery
from sessiond.domain.session import EndReason

router = APIRouter()
ADMIN = "admin"


@router.get(
    "/admin/sessions", openapi_extra=documented(query=KEYSET_QUERY | ACTIVE_QUERY | EXPAND_QUERY)
)
async def list_sessions(request: Request) -> Response:
    tenant = await admin_tenant(request)
    query = request.query_params
    state, expand, size = active_state(query), expanded(query), page_size(query)
    page = await services_of(request).sessions.list_keyset(
        SessionQuery(tenant_id=tenant.id, state=state),
        size=size,
        token=query.get("page_token") or None,
    )
    view = view_of(request, tenant, admin=True)
    body = [
        render_session(r, view, identity="identity" in expand, devices="devices" in expand)
        for r in page.items
    ]
    response = OrjsonResponse(body)
    link = keyset_links(request.url.path, query, size, page.next_token)
    set_paging_headers(response, link=link)
    return response


@router.get("/admin/sessions/{session_id}", openapi_extra=documented(query=EXPAND_QUERY))
async def get_session(request: Request, session_id: str) -> Response:
    tenant = await admin_tenant(request)
    expand = expanded(request.query_params)
    record = await services_of(request).sessions.get(tenant.id, path_id(session_id))
    view = view_of(request, tenant, admin=True)
    return OrjsonResponse(
        render_session(record, view, identity="identity" in expand, devices="devices" in expand)
    )


@router.patch("/admin/sessions/{session_id}/extend")
async def extend_session(request: Request, session_id: str) -> Response:
    tenant = await admin_tenant(request)
    record = await services_of(request).sessions.extend(tenant.id, path_id(session_id))
    return OrjsonResponse(render_session(record, view_of(request, tenant, admin=True)))


@router.delete("/admin/sessions/{session_id}", status_code=204)
async def disable_session(request: Request, session_id: str) -> Response:
    tenant = await admin_tenant(request)
    await services_of(request).sessions.end(
        tenant.id, path_id(session_id), reason=EndReason.ADMIN_REVOKED, by=ADMIN
    )
    return Response(status_code=204)


@router.get(
    "/admin/identities/{identity_id}/sessions",
    openapi_extra=documented(query=OFFSET_QUERY | ACTIVE_QUERY),
)
async def list_identity_sessions(request: Request, identity_id: str) -> Response:
    tenant = await admin_tenant(request)
    user_id = path_id(identity_id)
    state = active_state(request.query_params)
    paging = parse_offset(request.query_params)
    page = await services_of(request).sessions.list_offset(
        SessionQuery(tenant_id=tenant.id, user_id=user_id, state=state),
        OffsetPage(offset=paging.offset, limit=paging.size),
    )
    view = view_of(request, tenant, admin=True)
    response = OrjsonResponse([render_session(r, view) for r in page.items])
    link = offset_links(request.url.path, request.query_params, paging, page.total)
    set_paging_headers(response, link=link, total=page.total)
    return response


@router.delete("/admin/identities/{identity_id}/sessions", status_code=204)
async def delete_identity_sessions(request: Request, identity_id: str) -> Response:
    """Ends every live session of the identity (rows are kept until retention, unlike Kratos);
    404 when none was ended, as Kratos answers when its delete removed no row."""
    tenant = await admin_tenant(request)
    ended = await services_of(request).sessions.end_for_user(
        tenant.id, path_id(identity_id), reason=EndReason.REVOKED_ALL, by=ADMIN
    )
    if not ended:
        raise KratosError(404)
    return Response(status_code=204)
