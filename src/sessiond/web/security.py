"""Security settings: turning TOTP on (a QR code and the key, then a first code; the backup codes
shown once) and off (with a code), and changing the password."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.errors import retry_after
from sessiond.api.kit import client_of, services_of
from sessiond.domain.errors import (
    AuthenticationFailed,
    Conflict,
    SecondFactorFailed,
    SessiondError,
    TooManyGuesses,
    WeakPassword,
)
from sessiond.services.password_change import OwnPasswordChange
from sessiond.web.guard import CODES_COOKIE, bound, clear_cookie, set_cookie, unbound
from sessiond.web.pages import account_path, page, see_other
from sessiond.web.qr import qr_svg
from sessiond.web.visitor import Posted, PostedForm, SignedIn, Visitor

router = APIRouter(prefix="/t/{slug}/account/security")
CODES_SECONDS = 300
NOTICES = {
    "totp-off": "Two-step sign-in is off, and your backup codes no longer work.",
    "password": "Your password has been changed.",
    "password-others": (
        "Your password has been changed and you have been signed out everywhere else."
    ),
}
WRONG_CODE = "The code is wrong or was already used."
TOO_MANY_CODES = "Too many wrong codes. Try again in a few minutes."
MISMATCH = "The new passwords do not match."
CodeStep = Callable[[Request, Visitor, str], Awaitable[Response]]


def security_path(slug: str) -> str:
    return f"{account_path(slug)}/security"


@router.get("")
async def security(request: Request, visitor: SignedIn) -> Response:
    return await _page(request, visitor, notice=NOTICES.get(request.query_params.get("done", "")))


@router.post("/totp/begin")
async def begin_totp(request: Request, slug: str, posted: PostedForm) -> Response:
    visitor = posted.visitor
    with suppress(Conflict):  # on already (another tab): the page shows it so
        await services_of(request).totp_enrolment.begin(
            visitor.tenant.id, visitor.auth.record.user.id, issuer=_issuer(visitor)
        )
    return see_other(security_path(slug))


@router.post("/totp/confirm")
async def confirm_totp(request: Request, posted: PostedForm) -> Response:
    return await _with_code(request, posted, _confirm)


@router.post("/totp/disable")
async def disable_totp(request: Request, posted: PostedForm) -> Response:
    return await _with_code(request, posted, _disable)


@router.get("/backup-codes")
async def backup_codes(request: Request, slug: str, visitor: SignedIn) -> Response:
    """The codes TOTP's confirmation handed out, once: the cookie holding them goes with this
    answer, so a reload leads back to the security page."""
    codes = unbound(request.cookies.get(CODES_COOKIE), to=visitor.token)
    if codes:
        response: Response = page(
            request,
            "backup_codes.html",
            tenant=visitor.tenant,
            user=visitor.auth.record.user,
            csrf=visitor.csrf,
            codes=codes.split("_"),
        )
    else:
        response = see_other(security_path(slug))
    clear_cookie(response, request, slug, CODES_COOKIE)
    return response


@router.post("/password")
async def change_password(request: Request, slug: str, posted: PostedForm) -> Response:
    visitor, form = posted.visitor, posted.form
    end_others = "end_others" in form
    new = form.get("new_password", "")
    if new != form.get("new_password_again"):
        return await _page(
            request, visitor, status=400, password_error=MISMATCH, end_others=end_others
        )
    change = OwnPasswordChange(
        visitor.auth.record.session,
        current=form.get("current_password", ""),
        new=new,
        client=client_of(request),
        end_others=end_others,
    )
    try:
        await services_of(request).password_changes.change(change)
    except (TooManyGuesses, WeakPassword, AuthenticationFailed) as exc:
        status, error, headers = _password_refusal(exc)
        return await _page(
            request,
            visitor,
            status=status,
            headers=headers,
            password_error=error,
            end_others=end_others,
        )
    done = "password-others" if end_others else "password"
    return see_other(f"{security_path(slug)}?done={done}")


def _password_refusal(exc: SessiondError) -> tuple[int, str, dict[str, str] | None]:
    """The status, the message and the headers of a refused password change."""
    if isinstance(exc, TooManyGuesses):
        wait = f"Too many wrong passwords. Try again in {exc.retry_after} seconds."
        return 429, wait, retry_after(exc)
    if isinstance(exc, WeakPassword):
        return 400, f"The new password is not allowed: {exc.message}.", None
    return 401, "The current password is wrong.", None


async def _with_code(request: Request, posted: Posted, step: CodeStep) -> Response:
    """Runs `step` with the code posted. A wrong code counts against the user's budget of
    second-factor tries (`services.factor_tries`); the one that spends it locks them out."""
    visitor = posted.visitor
    try:
        return await step(request, visitor, posted.form.get("code", ""))
    except Conflict:  # on or off already (another tab): the page shows where things are
        return see_other(security_path(visitor.tenant.slug))
    except SecondFactorFailed as exc:
        return await _code_refused(request, visitor, exc)


async def _confirm(request: Request, visitor: Visitor, code: str) -> Response:
    enrolment = services_of(request).totp_enrolment
    codes = await enrolment.confirm(visitor.tenant.id, visitor.auth.record.user.id, code)
    slug = visitor.tenant.slug
    response = see_other(f"{security_path(slug)}/backup-codes")
    shown_once = bound("_".join(codes), to=visitor.token)
    set_cookie(response, request, slug, CODES_COOKIE, shown_once, max_age=CODES_SECONDS)
    return response


async def _disable(request: Request, visitor: Visitor, code: str) -> Response:
    enrolment = services_of(request).totp_enrolment
    await enrolment.disable(visitor.tenant.id, visitor.auth.record.user.id, code)
    return see_other(f"{security_path(visitor.tenant.slug)}?done=totp-off")


async def _code_refused(request: Request, visitor: Visitor, exc: SecondFactorFailed) -> Response:
    if exc.exhausted:
        return await _page(request, visitor, status=429, totp_error=TOO_MANY_CODES)
    return await _page(request, visitor, status=401, totp_error=WRONG_CODE)


async def _page(
    request: Request,
    visitor: Visitor,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    notice: str | None = None,
    totp_error: str | None = None,
    password_error: str | None = None,
    end_others: bool = True,
) -> Response:
    services = services_of(request)
    tenant, user_id = visitor.tenant, visitor.auth.record.user.id
    user = await services.users.get(tenant.id, user_id)
    pending = None
    if not user.has_second_factor:
        pending = await services.totp_enrolment.pending(tenant.id, user_id, issuer=_issuer(visitor))
    return page(
        request,
        "security.html",
        status=status,
        headers=headers,
        tenant=tenant,
        user=user,
        csrf=visitor.csrf,
        totp_on=user.has_second_factor,
        qr=None if pending is None else qr_svg(pending.url),
        secret=None if pending is None else _grouped(pending.secret),
        notice=notice,
        totp_error=totp_error,
        password_error=password_error,
        end_others=end_others,
    )


def _issuer(visitor: Visitor) -> str:
    """The name an authenticator app files the account under."""
    return visitor.tenant.name or visitor.tenant.slug


def _grouped(secret: str) -> str:
    """The key in groups of four, easier to type; authenticator apps ignore the spaces."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
