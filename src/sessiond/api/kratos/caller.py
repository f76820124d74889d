"""What every Kratos handler takes from a request: the door's tenant, the admin key, the session
token, the client, and the view to render with."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from starlette.requests import Request

from sessiond.api.kit import (
    acting,
    bearer_token,
    served_tenant,
    served_tenant_id,
    services_of,
)
from sessiond.api.kratos.errors import KratosError, no_session
from sessiond.api.kratos.wire import View
from sessiond.domain.audit import ActorKind
from sessiond.domain.errors import AuthenticationFailed
from sessiond.domain.flows import aal_below, required_aal
from sessiond.domain.ids import parse_id
from sessiond.domain.tenant import Tenant
from sessiond.services.context import TokenFormat
from sessiond.services.sessions import Authenticated

TOKEN_FORMAT = TokenFormat(prefix="ory_st_", alphanumeric_length=32)
COOKIE = "ory_kratos_session"
AAL2_REASON = (
    "An active session was found but it does not fulfill the Authenticator Assurance Level, "
    "implying that the session must use 2FA (AAL2) instead. Try logging in with a second factor."
)
BAD_KEY_REASON = "The secret key is missing or is not one of this tenant's keys."


async def admin_tenant(request: Request) -> Tenant:
    """The door's tenant, once the request carries one of its secret keys as a bearer token."""
    tenant = await served_tenant(request)
    raw = bearer_token(request)
    if raw is None:
        raise KratosError(401, reason=BAD_KEY_REASON)
    try:
        key = await services_of(request).tenants.authenticate_key(raw)
    except AuthenticationFailed:
        raise KratosError(401, reason=BAD_KEY_REASON) from None
    if key.tenant_id != tenant.id:
        raise KratosError(401, reason=BAD_KEY_REASON)
    acting(request, ActorKind.KEY, key.id.hex)
    return tenant


def session_token(request: Request) -> str | None:
    """`X-Session-Token`, else the `ory_kratos_session` cookie, else `Authorization: Bearer`."""
    return (
        request.headers.get("x-session-token")
        or request.cookies.get(COOKIE)
        or bearer_token(request)
        or None
    )


async def authenticated(request: Request) -> Authenticated:
    """The live session the request's token names, with the door's tenant (one read)."""
    token = session_token(request)
    if token is None:
        raise no_session()
    return await services_of(request).sessions.authenticate(await served_tenant_id(request), token)


async def authenticated_aal(request: Request) -> Authenticated:
    """`authenticated`, refused with 403 `session_aal2_required` while the session is below the
    level its identity needs (AAL2 once it has a second factor). Kratos checks this on whoami
    and on listing my sessions, not on revoking them."""
    auth = await authenticated(request)
    user = auth.record.user
    if aal_below(auth.record.session.aal, required_aal(user)):
        raise KratosError(
            403,
            error_id="session_aal2_required",
            reason=AAL2_REASON,
            message="Session does not fulfill the requested Authenticator Assurance Level",
            details={
                "redirect_browser_to": f"{base_url(request)}/self-service/login/browser?aal=aal2"
            },
        )
    return auth


def base_url(request: Request) -> str:
    """Where this Kratos is reached, as the request names it (scheme, Host, root path)."""
    scope = request.scope
    return _base_url(
        scope["scheme"],
        request.headers.get("host"),
        scope.get("server"),
        scope.get("app_root_path", scope.get("root_path", "")),
    )


@functools.lru_cache(maxsize=1024)
def _base_url(
    scheme: str, host: str | None, server: tuple[str, int | None] | None, root_path: str
) -> str:
    """Starlette's `base_url` for these parts, built once per distinct Host rather than on every
    token check (the bound keeps a client sending made-up Host headers from growing it)."""
    headers = [] if host is None else [(b"host", host.encode("latin-1"))]
    scope: dict[str, Any] = {"type": "http", "scheme": scheme, "server": server}
    scope.update(headers=headers, path=root_path, root_path=root_path, query_string=b"")
    return str(Request(scope).base_url).rstrip("/")


def view_of(request: Request, tenant: Tenant, *, admin: bool) -> View:
    return View(
        now=services_of(request).deps.clock.now(),
        settings=tenant.settings,
        base_url=base_url(request),
        admin=admin,
    )


def path_id(raw: str) -> uuid.UUID:
    return parse_id(raw, what="id")
