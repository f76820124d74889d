"""Device management: `sessions/*` for the caller and, with a permission and a second factor, for
every user of the tenant."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from sessiond.api.kit import SessionCaller, services_of
from sessiond.api.openapi import STRING, at_least, closed, documented, obj
from sessiond.api.responses import OrjsonResponse
from sessiond.api.rocketchat.caller import (
    body_fields,
    caller_of,
    json_body,
    require_permission,
    require_second_factor,
    text_field,
)
from sessiond.api.rocketchat.errors import invalid_params, session_not_found
from sessiond.api.rocketchat.params import list_params, only
from sessiond.api.rocketchat.render import session_item
from sessiond.domain.errors import InvalidId
from sessiond.domain.ids import parse_id
from sessiond.domain.listing import OffsetPage, SessionRecord
from sessiond.domain.permissions import Permission
from sessiond.domain.session import EndReason

router = APIRouter(prefix="/api/v1/sessions")
SESSION_ID = frozenset({"sessionId"})
LISTED = documented(
    query={"offset": at_least(0), "count": at_least(1), "filter": STRING, "sort": STRING}
)
ONE = documented(query={"sessionId": STRING}, required=SESSION_ID)
ENDED = documented(body=closed(obj(SESSION_ID, sessionId=STRING)))


@router.get("/list", openapi_extra=LISTED)
async def list_own(request: Request) -> OrjsonResponse:
    caller = await caller_of(request)
    return await _list(request, caller, user_id=caller.user.id)


@router.get("/list.all", openapi_extra=LISTED)
async def list_all(request: Request) -> OrjsonResponse:
    caller = await caller_of(request)
    list_params(request.query_params)
    require_permission(caller, Permission.VIEW_DEVICE_MANAGEMENT)
    await require_second_factor(request, caller)
    return await _list(request, caller, user_id=None)


@router.get("/info", openapi_extra=ONE)
async def info(request: Request) -> OrjsonResponse:
    caller = await caller_of(request)
    session_id = _query_session_id(request)
    record = await _live_session(request, caller, session_id, owner=caller.user.id)
    return _one(record, caller, with_user=False)


@router.get("/info.admin", openapi_extra=ONE)
async def info_admin(request: Request) -> OrjsonResponse:
    caller = await caller_of(request)
    session_id = _query_session_id(request)
    require_permission(caller, Permission.VIEW_DEVICE_MANAGEMENT)
    await require_second_factor(request, caller)
    record = await _live_session(request, caller, session_id, owner=None)
    return _one(record, caller, with_user=True)


@router.post("/logout.me", openapi_extra=ENDED)
async def logout_me(request: Request) -> OrjsonResponse:
    caller = await caller_of(request)
    session_id = await _body_session_id(request)
    record = await _live_session(request, caller, session_id, owner=caller.user.id)
    return await _end(request, caller, record, EndReason.REVOKED)


@router.post("/logout", openapi_extra=ENDED)
async def logout_any(request: Request) -> OrjsonResponse:
    caller = await caller_of(request)
    session_id = await _body_session_id(request)
    require_permission(caller, Permission.LOGOUT_DEVICE_MANAGEMENT)
    await require_second_factor(request, caller)
    record = await _live_session(request, caller, session_id, owner=None)
    return await _end(request, caller, record, EndReason.ADMIN_REVOKED)


async def _list(
    request: Request, caller: SessionCaller, *, user_id: uuid.UUID | None
) -> OrjsonResponse:
    params = list_params(request.query_params)
    query = params.query(caller.tenant.id, user_id=user_id)
    page = await services_of(request).sessions.list_offset(
        query, OffsetPage(offset=params.offset, limit=params.count)
    )
    current = caller.auth.record.session.id
    items = [session_item(r, current=current, with_user=user_id is None) for r in page.items]
    body: dict[str, Any] = {
        "sessions": items,
        "total": page.total,
        "count": params.count,
        "offset": params.offset,
        "success": True,
    }
    return OrjsonResponse(body)


def _one(record: SessionRecord, caller: SessionCaller, *, with_user: bool) -> OrjsonResponse:
    current = caller.auth.record.session.id
    body = session_item(record, current=current, with_user=with_user)
    body["success"] = True
    return OrjsonResponse(body)


async def _end(
    request: Request, caller: SessionCaller, record: SessionRecord, reason: EndReason
) -> OrjsonResponse:
    session = record.session
    await services_of(request).sessions.end(
        caller.tenant.id, session.id, reason=reason, by=caller.user.id.hex
    )
    return OrjsonResponse({"sessionId": session.id.hex, "success": True})


async def _live_session(
    request: Request, caller: SessionCaller, session_id: str, *, owner: uuid.UUID | None
) -> SessionRecord:
    try:
        wanted = parse_id(session_id, what="sessionId")
    except InvalidId as exc:
        raise session_not_found() from exc
    return await services_of(request).sessions.get_live(caller.tenant.id, wanted, owner=owner)


def _query_session_id(request: Request) -> str:
    only(request.query_params, SESSION_ID)
    value = request.query_params.get("sessionId")
    if not value:
        raise invalid_params("must have required property 'sessionId'")
    return value


async def _body_session_id(request: Request) -> str:
    body = await json_body(request)
    body_fields(body, allowed=SESSION_ID)
    return text_field(body, "sessionId")
