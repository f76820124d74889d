"""A user's page in the console: their sessions and sign-in attempts; suspending (which ends every
session they have) and unsuspending them; resetting their second factor."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.kit import services_of
from sessiond.domain.attempts import SignInAttempt, SignInStatus
from sessiond.domain.errors import InvalidId, UserNotFound
from sessiond.domain.ids import parse_id, render_hex
from sessiond.domain.listing import SessionQuery, SessionState
from sessiond.domain.user import UserState
from sessiond.web.admin_gate import admin_of, console_page, posted
from sessiond.web.admin_sessions import PAGE_SIZE, page_rows, user_label
from sessiond.web.pages import admin_path, see_other

router = APIRouter(prefix="/t/{slug}/admin/users/{user_id}")
ATTEMPTS_SHOWN = 50
NOTICES = {
    "suspended": "The user is suspended and every session they had has ended.",
    "unsuspended": "The user may sign in again.",
    "reset": "The user's second factor is reset: they sign in with their password alone.",
    "self": "You cannot suspend yourself.",
}
STATUSES = {
    SignInStatus.COMPLETE: "Signed in",
    SignInStatus.FAILED: "Failed",
    SignInStatus.NEEDS_FACTOR_TWO: "Waiting for the second factor",
}


@dataclass(frozen=True, slots=True)
class AttemptView:
    attempt: SignInAttempt
    outcome: str
    failed: bool


@router.get("")
async def user_page(request: Request, slug: str, user_id: str) -> Response:
    admin = await admin_of(request, slug)
    if isinstance(admin, Response):
        return admin
    services = services_of(request)
    user = await services.users.get(admin.tenant.id, _user_id(user_id))
    query = SessionQuery(admin.tenant.id, user_id=user.id, state=SessionState.ALL)
    listed = await services.sessions.list_keyset(
        query, size=PAGE_SIZE, token=request.query_params.get("page") or None
    )
    attempts = await services.attempts.sign_ins_of(admin.tenant.id, user.id, limit=ATTEMPTS_SHOWN)
    return console_page(
        request,
        admin,
        "admin_user.html",
        user=user,
        user_id=render_hex(user.id),
        label=user_label(user),
        suspended=user.state is UserState.SUSPENDED,
        is_self=user.id == admin.user.id,
        rows=page_rows(request, admin, listed),
        listed=listed,
        attempts=[_attempt_view(a) for a in attempts],
        notice=NOTICES.get(request.query_params.get("done", "")),
        ended=request.query_params.get("ended"),
    )


@router.post("/suspend")
async def suspend(request: Request, slug: str, user_id: str) -> Response:
    return await _set_state(request, slug, user_id, UserState.SUSPENDED)


@router.post("/unsuspend")
async def unsuspend(request: Request, slug: str, user_id: str) -> Response:
    return await _set_state(request, slug, user_id, UserState.ACTIVE)


@router.post("/reset-second-factor")
async def reset_second_factor(request: Request, slug: str, user_id: str) -> Response:
    sent = await posted(request, slug)
    if isinstance(sent, Response):
        return sent
    wanted = _user_id(user_id)
    await services_of(request).users.reset_second_factors(sent.admin.tenant.id, wanted)
    return _done(slug, wanted, "reset")


async def _set_state(request: Request, slug: str, user_id: str, state: UserState) -> Response:
    sent = await posted(request, slug)
    if isinstance(sent, Response):
        return sent
    admin, wanted = sent.admin, _user_id(user_id)
    if wanted == admin.user.id:
        return _done(slug, wanted, "self")
    await services_of(request).users.set_state(admin.tenant.id, wanted, state, by=admin.by)
    return _done(slug, wanted, "suspended" if state is UserState.SUSPENDED else "unsuspended")


def _user_id(text: str) -> uuid.UUID:
    """`UserNotFound` (a 404 page) for what is no id."""
    try:
        return parse_id(text, what="user")
    except InvalidId as exc:
        raise UserNotFound(exc.message) from exc


def _done(slug: str, user_id: uuid.UUID, done: str) -> Response:
    return see_other(f"{admin_path(slug)}/users/{render_hex(user_id)}?done={done}")


def _attempt_view(attempt: SignInAttempt) -> AttemptView:
    failed = attempt.status is SignInStatus.FAILED
    outcome = STATUSES.get(attempt.status, "Under way")
    if failed and attempt.failure_reason is not None:
        outcome = f"Failed: {attempt.failure_reason.value.replace('_', ' ')}"
    return AttemptView(attempt, outcome, failed)
