""" "Where you're signed in": the user's live sessions and those ended lately, and ending them."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.kit import services_of
from sessiond.domain.errors import InvalidId, SessionNotFound
from sessiond.domain.ids import parse_id
from sessiond.domain.listing import OffsetPage, SessionQuery, SessionState, SortField, SortKey
from sessiond.domain.session import EndReason
from sessiond.web.devices import SessionView, session_view, within
from sessiond.web.pages import account_path, page, see_other
from sessiond.web.visitor import PostedForm, SignedIn, Visitor, to_sign_in

router = APIRouter(prefix="/t/{slug}/account")
SHOWN = 200
ENDED_DAYS = 30
NOTICES = {
    "ended": "That session has been signed out.",
    "others": "You have been signed out everywhere else.",
    "gone": "That session had already ended.",
}
RECENTLY_ACTIVE = (SortKey(SortField.LAST_ACTIVE_AT), SortKey(SortField.CREATED_AT))


@router.get("")
async def account(request: Request, visitor: SignedIn) -> Response:
    live, ended = await _sessions(request, visitor)
    return page(
        request,
        "account.html",
        tenant=visitor.tenant,
        user=visitor.auth.record.user,
        csrf=visitor.csrf,
        live=live,
        ended=ended,
        ended_days=ENDED_DAYS,
        notice=NOTICES.get(request.query_params.get("done", "")),
    )


@router.post("/sessions/{session_id}/end")
async def end_one(request: Request, slug: str, session_id: str, posted: PostedForm) -> Response:
    visitor = posted.visitor
    tenant, user = visitor.tenant, visitor.auth.record.user
    done = "ended"
    try:
        wanted = parse_id(session_id, what="session")
        ended = await services_of(request).sessions.end(
            tenant.id, wanted, reason=EndReason.REVOKED, by=user.id.hex, user_id=user.id
        )
    except (InvalidId, SessionNotFound):
        ended = False
    if not ended:
        done = "gone"
    elif wanted == visitor.auth.record.session.id:
        return to_sign_in(request, slug)
    return see_other(f"{account_path(slug)}?done={done}")


@router.post("/sessions/end-others")
async def end_others(request: Request, slug: str, posted: PostedForm) -> Response:
    visitor = posted.visitor
    session = visitor.auth.record.session
    await services_of(request).sessions.end_for_user(
        visitor.tenant.id,
        session.user_id,
        reason=EndReason.REVOKED_OTHERS,
        by=session.user_id.hex,
        keep=session.id,
    )
    return see_other(f"{account_path(slug)}?done=others")


async def _sessions(
    request: Request, visitor: Visitor
) -> tuple[list[SessionView], list[SessionView]]:
    """Live sessions, this one first then the most recently active; and those that ended in the
    last `ENDED_DAYS` days, the latest first."""
    services = services_of(request)
    tenant, current = visitor.tenant, visitor.auth.record.session.id
    user_id = visitor.auth.record.user.id
    now = services.deps.clock.now()
    idle = tenant.settings.inactivity_timeout
    shown = OffsetPage(limit=SHOWN)
    live_query = SessionQuery(tenant.id, user_id=user_id, sort=RECENTLY_ACTIVE)
    ended_query = SessionQuery(tenant.id, user_id=user_id, state=SessionState.ENDED)
    live_page = await services.sessions.list_offset(live_query, shown)
    ended_page = await services.sessions.list_offset(ended_query, shown)
    live = [
        session_view(r, now=now, current=r.session.id == current, idle=idle)
        for r in live_page.items
    ]
    live.sort(key=lambda view: not view.current)
    ended = [session_view(r, now=now, current=False, idle=idle) for r in ended_page.items]
    ended = [view for view in ended if within(view.ended, now=now, days=ENDED_DAYS)]
    ended.sort(key=lambda view: view.ended or now, reverse=True)
    return live, ended
