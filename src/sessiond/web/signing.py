"""Signing in (password, then a TOTP or backup code when the user has one) and signing out."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.errors import retry_after
from sessiond.api.kit import client_of, counted_sign_in, services_of
from sessiond.domain.attempts import SignInStatus, password_strategy
from sessiond.domain.errors import (
    AttemptNotFound,
    AuthenticationFailed,
    InvalidInput,
    SecondFactorFailed,
    SessionLimitReached,
    TooManyGuesses,
)
from sessiond.domain.session import EndReason
from sessiond.domain.tenant import Tenant
from sessiond.services.sign_in import PasswordSignIn, SignInResult
from sessiond.web.guard import (
    ATTEMPT_COOKIE,
    CSRF_FIELD,
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    bound,
    clear_cookie,
    csrf_matches,
    csrf_token,
    new_pre_session,
    set_cookie,
    unbound,
)
from sessiond.web.pages import account_path, form_of, page, see_other, sign_in_path
from sessiond.web.visitor import forbidden, tenant_of, visitor_of

router = APIRouter(prefix="/t/{slug}/account")
PRE_SESSION_SECONDS = 3600
ATTEMPT_SECONDS = 600
WRONG = "The username, email or password is wrong."
TOO_MANY_DEVICES = "You are signed in on too many devices. Sign out of one and try again."


@router.get("/sign-in")
async def sign_in_page(request: Request, slug: str) -> Response:
    tenant = await tenant_of(request, slug)
    if await visitor_of(request, tenant) is not None:
        return see_other(account_path(slug))
    return _sign_in_form(request, tenant)


@router.post("/sign-in")
async def sign_in(request: Request, slug: str) -> Response:
    tenant = await tenant_of(request, slug)
    form = await form_of(request)
    if not csrf_matches(request, request.cookies.get(PRE_SESSION_COOKIE), form.get(CSRF_FIELD)):
        return forbidden(request, tenant)
    identifier = form.get("identifier", "").strip()
    attempt = PasswordSignIn(
        tenant.id,
        identifier=identifier,
        password=form.get("password", ""),
        client=client_of(request),
        strategy=password_strategy(identifier),
    )
    try:
        result = await counted_sign_in(request, services_of(request).sign_ins.password(attempt))
    except TooManyGuesses as exc:
        return _sign_in_form(
            request,
            tenant,
            error=f"Too many failed sign-in attempts. Try again in {exc.retry_after} seconds.",
            status=429,
            identifier=identifier,
            headers=retry_after(exc),
        )
    except (AuthenticationFailed, InvalidInput):
        return _sign_in_form(request, tenant, error=WRONG, status=401, identifier=identifier)
    except SessionLimitReached:
        return _sign_in_form(
            request, tenant, error=TOO_MANY_DEVICES, status=409, identifier=identifier
        )
    return _signed_in(request, tenant, result)


@router.get("/second-factor")
async def second_factor_page(request: Request, slug: str) -> Response:
    tenant = await tenant_of(request, slug)
    if _waiting_attempt(request) is None or not request.cookies.get(PRE_SESSION_COOKIE):
        return see_other(sign_in_path(slug))
    return _second_factor_form(request, tenant)


@router.post("/second-factor")
async def second_factor(request: Request, slug: str) -> Response:
    tenant = await tenant_of(request, slug)
    form = await form_of(request)
    if not csrf_matches(request, request.cookies.get(PRE_SESSION_COOKIE), form.get(CSRF_FIELD)):
        return forbidden(request, tenant)
    attempt_id = _waiting_attempt(request)
    if attempt_id is None:
        return see_other(sign_in_path(slug))
    step = services_of(request).sign_ins.second_factor(
        tenant.id, attempt_id, code=form.get("code", "").strip(), client=client_of(request)
    )
    try:
        result = await counted_sign_in(request, step)
    except AttemptNotFound:
        return _start_again(request, tenant, "The sign-in has expired. Sign in again.")
    except SecondFactorFailed as exc:
        if exc.exhausted:
            return _start_again(request, tenant, "Too many wrong codes. Sign in again later.")
        error = "The code is wrong or was already used."
        return _second_factor_form(request, tenant, error=error, status=401)
    except AuthenticationFailed:  # suspended while the code was on its way
        return _start_again(request, tenant, WRONG)
    except SessionLimitReached:
        return _start_again(request, tenant, TOO_MANY_DEVICES)
    return _signed_in(request, tenant, result)


@router.post("/sign-out")
async def sign_out(request: Request, slug: str) -> Response:
    tenant = await tenant_of(request, slug)
    visitor = await visitor_of(request, tenant)
    response = see_other(sign_in_path(slug))
    if visitor is None:
        clear_cookie(response, request, slug, SESSION_COOKIE)
        return response
    if not visitor.posted_by_page(request, await form_of(request)):
        return forbidden(request, tenant)
    session = visitor.auth.record.session
    await services_of(request).sessions.end(
        tenant.id, session.id, reason=EndReason.SIGNED_OUT, by=session.user_id.hex
    )
    clear_cookie(response, request, slug, SESSION_COOKIE)
    return response


def _signed_in(request: Request, tenant: Tenant, result: SignInResult) -> Response:
    """A new session every time: its token replaces whatever cookie was there."""
    slug = tenant.slug
    if result.issued is None:
        if result.attempt.status is not SignInStatus.NEEDS_FACTOR_TWO:
            raise RuntimeError(f"a sign-in ended as {result.attempt.status}")
        response = see_other(f"{account_path(slug)}/second-factor")
        pre = request.cookies.get(PRE_SESSION_COOKIE, "")
        waiting = bound(result.attempt.id.hex, to=pre)
        set_cookie(response, request, slug, ATTEMPT_COOKIE, waiting, max_age=ATTEMPT_SECONDS)
        return response
    session = result.issued.record.session
    lifetime = session.expires_at - services_of(request).deps.clock.now()
    response = see_other(account_path(slug))
    set_cookie(
        response,
        request,
        slug,
        SESSION_COOKIE,
        result.issued.token,
        max_age=max(1, int(lifetime.total_seconds())),
    )
    clear_cookie(response, request, slug, PRE_SESSION_COOKIE)
    clear_cookie(response, request, slug, ATTEMPT_COOKIE)
    return response


def _sign_in_form(
    request: Request,
    tenant: Tenant,
    *,
    error: str | None = None,
    status: int = 200,
    identifier: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    pre = request.cookies.get(PRE_SESSION_COOKIE) or new_pre_session()
    response = page(
        request,
        "sign_in.html",
        status=status,
        headers=headers,
        tenant=tenant,
        csrf=csrf_token(pre),
        error=error,
        identifier=identifier,
    )
    set_cookie(response, request, tenant.slug, PRE_SESSION_COOKIE, pre, max_age=PRE_SESSION_SECONDS)
    return response


def _second_factor_form(
    request: Request, tenant: Tenant, *, error: str | None = None, status: int = 200
) -> Response:
    pre = request.cookies.get(PRE_SESSION_COOKIE, "")
    return page(
        request,
        "second_factor.html",
        status=status,
        tenant=tenant,
        csrf=csrf_token(pre),
        error=error,
    )


def _start_again(request: Request, tenant: Tenant, error: str) -> Response:
    response = _sign_in_form(request, tenant, error=error, status=401)
    clear_cookie(response, request, tenant.slug, ATTEMPT_COOKIE)
    return response


def _waiting_attempt(request: Request) -> uuid.UUID | None:
    """The attempt this browser started (the cookie is bound to its pre-session cookie)."""
    pre = request.cookies.get(PRE_SESSION_COOKIE)
    value = unbound(request.cookies.get(ATTEMPT_COOKIE), to=pre)
    try:
        return None if value is None else uuid.UUID(hex=value)
    except ValueError:
        return None
