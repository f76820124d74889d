"""Who is calling: the tenant this door serves, the caller's session from `X-User-Id` and
`X-Auth-Token`, its permissions and its REST second factor."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from sessiond.api.kit import (
    SessionCaller,
    acting,
    json_object,
    served_tenant_id,
    services_of,
)
from sessiond.api.rocketchat.errors import (
    forbidden,
    invalid_params,
    not_logged_in,
)
from sessiond.domain.audit import ActorKind
from sessiond.domain.errors import SessionNotLive
from sessiond.domain.ids import render_hex
from sessiond.domain.permissions import Permission, has_permission
from sessiond.services.container import Services
from sessiond.services.rocketchat.two_factor import TwoFactorService
from sessiond.services.totp_enrolment import TotpEnrolment

MAX_BODY_BYTES = 64 * 1024


def two_factor_of(request: Request) -> TwoFactorService:
    two_factor: TwoFactorService = services_of(request).two_factor
    return two_factor


def enrolment_of(request: Request) -> TotpEnrolment:
    enrolment: TotpEnrolment = services_of(request).totp_enrolment
    return enrolment


async def caller_of(request: Request) -> SessionCaller:
    """The caller's live session; the user id sent must be that session's user."""
    user_id = request.headers.get("x-user-id")
    token = request.headers.get("x-auth-token")
    if not user_id or not token:
        raise not_logged_in()
    services: Services = services_of(request)
    tenant_id = await served_tenant_id(request)  # the tenant itself comes with `auth`
    try:
        auth = await services.sessions.authenticate(tenant_id, token)
    except SessionNotLive as exc:
        raise not_logged_in() from exc
    if render_hex(auth.record.user.id) != user_id.strip().lower():
        raise not_logged_in()
    return SessionCaller(auth, request)


def require_permission(caller: SessionCaller, permission: Permission) -> None:
    if not has_permission(caller.user.roles, permission):
        raise forbidden()
    acting(caller.request, ActorKind.USER, caller.user.id.hex)


async def require_second_factor(request: Request, caller: SessionCaller) -> None:
    await two_factor_of(request).require(
        caller.auth,
        code=request.headers.get("x-2fa-code"),
        method=request.headers.get("x-2fa-method"),
        client=caller.client,
    )


async def json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object; an empty body is `{}`."""
    return await json_object(request, empty=b"{}")  # capped at MAX_BODY_BYTES by the dispatcher


def body_fields(body: dict[str, Any], *, allowed: frozenset[str]) -> None:
    if any(name not in allowed for name in body):
        raise invalid_params()


def text_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise invalid_params(f"must have required property '{name}'")
    return value


def optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid_params(f"must have property '{name}' as a string")
    return value or None
