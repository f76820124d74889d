"""The console's sessions table over the whole tenant: filtered, sorted, in keyset pages; ending
one session, the selected ones, or every one the filter matches."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.kit import services_of
from sessiond.domain.device import DEVICE_KINDS
from sessiond.domain.errors import InvalidId, InvalidInput, SessionNotFound, UserNotFound
from sessiond.domain.ids import parse_id, render_hex
from sessiond.domain.listing import SessionPage, SessionQuery, SessionRecord, SessionState
from sessiond.domain.session import EndReason
from sessiond.domain.user import User
from sessiond.web.admin_filters import COLUMNS, STATES, ListFilter
from sessiond.web.admin_gate import Admin, admin_of, console_page, posted
from sessiond.web.devices import KIND_LABELS, SessionView, session_view
from sessiond.web.pages import admin_path, page, see_other

router = APIRouter(prefix="/t/{slug}/admin")
PAGE_SIZE = 50
# A form of the table: its token, its filter and a page of sessions picked.
MOST_FIELDS = PAGE_SIZE + 20


@dataclass(frozen=True, slots=True)
class Row:
    view: SessionView
    user_id: str
    user: str
    ip: str
    location: str
    live: bool


@router.get("")
async def sessions_table(request: Request, slug: str) -> Response:
    admin = await admin_of(request, slug)
    if isinstance(admin, Response):
        return admin
    wanted = ListFilter.read(request.query_params)
    error = None
    try:
        listed = await _page(request, admin, wanted, token=request.query_params.get("page"))
    except InvalidInput as exc:
        listed, error = None, exc.message
    profiles = await services_of(request).sessions.device_profiles(admin.tenant.id)
    return console_page(
        request,
        admin,
        "admin_sessions.html",
        filter=wanted,
        columns=COLUMNS,
        states=STATES,
        kinds=[(kind, KIND_LABELS[kind]) for kind in DEVICE_KINDS],
        browsers=sorted({p.browser for p in profiles if p.browser}),
        systems=sorted({p.os_name for p in profiles if p.os_name}),
        rows=[] if listed is None else page_rows(request, admin, listed),
        listed=listed,
        error=error,
        done=_done(request),
    )


@router.post("/sessions/{session_id}/end")
async def end_one(request: Request, slug: str, session_id: str) -> Response:
    sent = await posted(request, slug, most=MOST_FIELDS)
    if isinstance(sent, Response):
        return sent
    admin = sent.admin
    try:
        ended = await services_of(request).sessions.end(
            admin.tenant.id,
            parse_id(session_id, what="session"),
            reason=EndReason.ADMIN_REVOKED,
            by=admin.by,
        )
    except (InvalidId, SessionNotFound):
        ended = False
    return _back_to(sent.fields, slug, ended=int(ended))


@router.post("/sessions/end-selected")
async def end_selected(request: Request, slug: str) -> Response:
    sent = await posted(request, slug, most=MOST_FIELDS)
    if isinstance(sent, Response):
        return sent
    picked: list[uuid.UUID] = []
    for value in sent.every("session"):
        try:
            picked.append(parse_id(value, what="session"))
        except InvalidId:
            continue
    ended = 0
    if picked:
        ended = await services_of(request).sessions.end_each(
            sent.admin.tenant.id, picked, reason=EndReason.ADMIN_REVOKED, by=sent.admin.by
        )
    return _back_to(sent.fields, slug, ended=ended)


@router.get("/sessions/end-matching")
async def confirm_end_matching(request: Request, slug: str) -> Response:
    admin = await admin_of(request, slug)
    if isinstance(admin, Response):
        return admin
    wanted = ListFilter.read(request.query_params)
    live = replace(wanted, state=SessionState.LIVE.value)
    try:
        count = (await _page(request, admin, live, token=None, size=1, count=True)).total
    except InvalidInput as exc:
        return page(
            request,
            "message.html",
            status=400,
            tenant=admin.tenant,
            title="Refused",
            text=exc.message,
        )
    return page(
        request,
        "admin_confirm.html",
        tenant=admin.tenant,
        admin=admin.user,
        csrf=admin.visitor.csrf,
        filter=wanted,
        count=count,
    )


@router.post("/sessions/end-matching")
async def end_matching(request: Request, slug: str) -> Response:
    sent = await posted(request, slug)
    if isinstance(sent, Response):
        return sent
    form, admin = sent.fields, sent.admin
    wanted = ListFilter.read(form)
    ended = 0
    query = await _query(request, admin, wanted)
    if query is not None and form.get("confirm") == "yes":
        ended = await services_of(request).sessions.end_matching(
            query, reason=EndReason.ADMIN_REVOKED, by=admin.by
        )
    return _back_to(form, slug, ended=ended)


async def _query(request: Request, admin: Admin, wanted: ListFilter) -> SessionQuery | None:
    """None when the `user` field names nobody: then nothing matches."""
    user_id = None
    if wanted.user:
        try:
            user_id = (await services_of(request).users.find(admin.tenant.id, wanted.user)).id
        except UserNotFound:
            return None
    return wanted.query(admin.tenant.id, user_id=user_id)


async def _page(
    request: Request,
    admin: Admin,
    wanted: ListFilter,
    *,
    token: str | None,
    size: int = 0,
    count: bool = False,
) -> SessionPage:
    query = await _query(request, admin, wanted)
    if query is None:
        return SessionPage((), 0)
    # Counting every live session of a large tenant costs more than its page: the whole list's
    # total is left to the confirmation of ending them all, a filtered list's is shown.
    return await services_of(request).sessions.list_keyset(
        query, size=size or PAGE_SIZE, token=token or None, count=count or wanted.filtered
    )


def page_rows(request: Request, admin: Admin, listed: SessionPage) -> list[Row]:
    now = services_of(request).deps.clock.now()
    idle = admin.tenant.settings.inactivity_timeout
    current = admin.visitor.auth.record.session.id
    return [_row(r, now=now, idle=idle, current=current) for r in listed.items]


def _row(
    record: SessionRecord, *, now: datetime, idle: timedelta | None, current: uuid.UUID
) -> Row:
    view = session_view(record, now=now, current=record.session.id == current, idle=idle)
    device = record.device
    return Row(
        view=view,
        user_id=render_hex(record.user.id),
        user=user_label(record.user),
        ip=(device.ip if device else None) or "",
        location=device.location if device else "",
        live=view.ended is None,
    )


def user_label(user: User) -> str:
    return user.username or user.primary_email or user.name or render_hex(user.id)


def _done(request: Request) -> str | None:
    ended = request.query_params.get("ended")
    if ended is None or not ended.isdigit():
        return None
    count = int(ended)
    return f"{count} session{'' if count == 1 else 's'} ended."


def _back_to(form: dict[str, str], slug: str, *, ended: int) -> Response:
    """Back to the list the form was posted from, saying how many sessions ended."""
    wanted = ListFilter.read(form)
    try:
        user_page = parse_id(form.get("user_page", ""), what="user")
    except InvalidId:
        user_page = None
    if user_page is not None:
        return see_other(f"{admin_path(slug)}/users/{render_hex(user_page)}?ended={ended}")
    query = wanted.link()
    return see_other(f"{admin_path(slug)}?{query}{'&' if query else ''}ended={ended}")
