"""Who may open the administrators' console: a signed-in user with the tenant's admin permissions
who proved a second factor from this browser in the last 30 minutes. The factor and how long it
holds are the Rocket.Chat door's REST rules (`services.rocketchat.two_factor`): TOTP or a backup
code, a mailed code, or the password; the proof is kept in the database for this very session
and client, so it ends with the session."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.kit import acting, client_of, services_of
from sessiond.domain.audit import ActorKind
from sessiond.domain.permissions import Permission, has_permission
from sessiond.domain.tenant import Tenant
from sessiond.domain.two_factor import Challenge, Method, Refusal, SecondFactorRefused
from sessiond.domain.user import User
from sessiond.services.rocketchat.two_factor import TwoFactorService
from sessiond.web.pages import MAX_FIELDS, admin_path, form_pairs, page, see_other, sign_in_path
from sessiond.web.visitor import Visitor, forbidden, tenant_of, visitor_of

router = APIRouter(prefix="/t/{slug}/admin")
CONSOLE = (Permission.VIEW_DEVICE_MANAGEMENT, Permission.LOGOUT_DEVICE_MANAGEMENT)
NOT_ADMIN = "This console is for the administrators of this site."
ASKS = {
    Method.TOTP: "Enter the 6-digit code from your authenticator app, or one of your backup codes.",
    Method.EMAIL: "Enter the code we mailed you.",
    Method.PASSWORD: "Enter your password again.",
}
SWITCH = {
    Method.TOTP: "Use your authenticator app",
    Method.EMAIL: "Mail me a code instead",
    Method.PASSWORD: "Use your password instead",
}
REFUSED = {
    Refusal.INVALID: "That code is wrong or was already used.",
    Refusal.MAX_ATTEMPTS: "Too many wrong codes. Try again later.",
}


@dataclass(frozen=True, slots=True)
class Admin:
    visitor: Visitor

    @property
    def tenant(self) -> Tenant:
        return self.visitor.tenant

    @property
    def user(self) -> User:
        return self.visitor.auth.record.user

    @property
    def by(self) -> str:
        return self.user.id.hex


@dataclass(frozen=True, slots=True)
class Posted:
    """A console form an admin posted from one of its pages."""

    admin: Admin
    pairs: list[tuple[str, str]]

    @property
    def fields(self) -> dict[str, str]:
        """The first of a repeated field wins."""
        return dict(reversed(self.pairs))

    def every(self, name: str) -> list[str]:
        return [value for field, value in self.pairs if field == name]


async def posted(
    request: Request, slug: str, *, most: int = MAX_FIELDS, gated: bool = True
) -> Posted | Response:
    """The admin posting a console form and its fields, or the answer to give instead (as
    `admin_of` does, and a 403 page for a form without its CSRF token). `gated`: whether the
    second factor must be fresh (the gate's own form is posted to prove it)."""
    found = await (admin_of(request, slug) if gated else _signed_in_admin(request, slug))
    if isinstance(found, Response):
        return found
    pairs = await form_pairs(request, most=most)
    form = Posted(found, pairs)
    if not found.visitor.posted_by_page(request, form.fields):
        return forbidden(request, found.tenant)
    return form


def console_page(
    request: Request, admin: Admin, template: str, *, status: int = 200, **context: Any
) -> Response:
    return page(
        request,
        template,
        status=status,
        tenant=admin.tenant,
        admin=admin.user,
        csrf=admin.visitor.csrf,
        **context,
    )


async def admin_of(request: Request, slug: str) -> Admin | Response:
    """The admin looking at a console page, or the answer to give instead: the sign-in page, a
    403 page for anyone else, or the second-factor step when the last proof is too old."""
    found = await _signed_in_admin(request, slug)
    if isinstance(found, Response):
        return found
    try:
        await _two_factor(request).require(
            found.visitor.auth, code=None, method=None, client=client_of(request)
        )
    except SecondFactorRefused:
        back = admin_path(slug)
        if request.method == "GET":
            back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return see_other(f"{admin_path(slug)}/verify?next={quote(back, safe='/')}")
    return found


@router.get("/verify")
async def verify_page(request: Request, slug: str) -> Response:
    found = await _signed_in_admin(request, slug)
    if isinstance(found, Response):
        return found
    back = _back(request.query_params.get("next"), slug)
    try:
        await _two_factor(request).require(
            found.visitor.auth,
            code=None,
            method=request.query_params.get("method"),
            client=client_of(request),
        )
    except SecondFactorRefused as exc:
        error = REFUSED.get(exc.refusal)
        return _gate(request, found, exc.challenge, back, error=error)
    return see_other(back)


@router.post("/verify")
async def verify(request: Request, slug: str) -> Response:
    sent = await posted(request, slug, gated=False)
    if isinstance(sent, Response):
        return sent
    found, form = sent.admin, sent.fields
    back = _back(form.get("next"), slug)
    method = form.get("method")
    code = form.get("code", "").strip()
    if method == Method.PASSWORD.value and code:
        # Rocket.Chat clients send the password's SHA-256; this page sends what they would.
        code = hashlib.sha256(code.encode()).hexdigest()
    try:
        await _two_factor(request).require(
            found.visitor.auth, code=code or None, method=method, client=client_of(request)
        )
    except SecondFactorRefused as exc:
        error = REFUSED.get(exc.refusal, "Enter the code.")
        return _gate(request, found, exc.challenge, back, error=error, status=401)
    return see_other(back)


async def _signed_in_admin(request: Request, slug: str) -> Admin | Response:
    tenant = await tenant_of(request, slug)
    visitor = await visitor_of(request, tenant)
    if visitor is None:
        return see_other(sign_in_path(slug))
    user = visitor.auth.record.user
    if not all(has_permission(user.roles, permission) for permission in CONSOLE):
        return page(
            request, "message.html", status=403, tenant=tenant, title="Refused", text=NOT_ADMIN
        )
    acting(request, ActorKind.USER, user.id.hex)
    return Admin(visitor)


def _gate(
    request: Request,
    admin: Admin,
    challenge: Challenge,
    back: str,
    *,
    error: str | None,
    status: int = 200,
) -> Response:
    others = [m for m in challenge.available if m is not challenge.method]
    return console_page(
        request,
        admin,
        "admin_gate.html",
        status=status,
        method=challenge.method.value,
        ask=ASKS[challenge.method],
        password=challenge.method is Method.PASSWORD,
        switch=[(m.value, SWITCH[m]) for m in others],
        back=back,
        error=error,
    )


def _back(wanted: str | None, slug: str) -> str:
    """Where to go once the factor is proved: a console page, never another site."""
    home = admin_path(slug)
    if not wanted:
        return home
    parts = urlsplit(wanted)
    safe = not parts.scheme and not parts.netloc and "\\" not in wanted
    if safe and (parts.path == home or parts.path.startswith(f"{home}/")):
        return wanted
    return home


def _two_factor(request: Request) -> TwoFactorService:
    two_factor: TwoFactorService = services_of(request).two_factor
    return two_factor
