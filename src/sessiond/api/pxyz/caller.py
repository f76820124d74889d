"""Who is calling: a secret key (backend API) or a session token (frontend API), and which
tenant that lets them reach. A tenant key reaches its own tenant only; anything else is "not
found", exactly as if it did not exist."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass

from starlette.requests import Request

from sessiond.api.kit import acting, bearer_token, config_of, services_of
from sessiond.api.pxyz.errors import Forbidden
from sessiond.domain.audit import ActorKind
from sessiond.domain.errors import AuthenticationFailed, InvalidInput, TenantNotFound
from sessiond.domain.ids import parse_id
from sessiond.domain.tenant import Tenant
from sessiond.services.container import Services
from sessiond.services.owners import Owned
from sessiond.services.sessions import Authenticated

SESSION_COOKIE = "__pxyz_session"
PUBLIC_KEY_HEADER = "x-public-key"
# The header names pxyz's own JavaScript SDK sends (see docs/pxyz.md).
SDK_PUBLIC_KEY_HEADER = "x-protocol-public-key"
SDK_SECRET_KEY_HEADER = "x-protocol-secret-key"


@dataclass(frozen=True, slots=True)
class KeyCaller:
    """A secret key's reach: one tenant, or every tenant for a platform key (`tenant_id` None)."""

    services: Services
    tenant_id: uuid.UUID | None

    @property
    def is_platform(self) -> bool:
        return self.tenant_id is None

    @property
    def label(self) -> str:
        return "pxyz:platform" if self.tenant_id is None else "pxyz:secret-key"

    def tenant(self, text: str, *, what: str = "tenantId") -> uuid.UUID:
        """The tenant an id names, if this caller may reach it."""
        tenant_id = parse_id(text, what=what)
        if self.tenant_id is not None and tenant_id != self.tenant_id:
            raise TenantNotFound(f"tenant {text[:64]} does not exist")
        return tenant_id

    async def home_of(self, kind: Owned, item_id: uuid.UUID) -> uuid.UUID:
        """The tenant to look `item_id` up in: the key's own, or, for a platform key, whichever
        holds it."""
        if self.tenant_id is not None:
            return self.tenant_id
        return await self.services.owners.tenant_of(kind, item_id)

    def require_platform(self) -> None:
        if self.tenant_id is not None:
            raise Forbidden("this needs a platform key")


async def secret_key_caller(request: Request) -> KeyCaller:
    """FastAPI dependency for the backend API."""
    services = services_of(request)
    raw = request.headers.get(SDK_SECRET_KEY_HEADER, "").strip() or bearer_token(request)
    if not raw:
        raise AuthenticationFailed(
            f"send the secret key as `Authorization: Bearer <key>` or `{SDK_SECRET_KEY_HEADER}`"
        )
    platform = config_of(request).platform_key
    if platform and hmac.compare_digest(raw.encode(), platform.encode()):
        acting(request, ActorKind.KEY, "platform")
        return KeyCaller(services, None)
    key = await services.tenants.authenticate_key(raw)
    acting(request, ActorKind.KEY, key.id.hex)
    return KeyCaller(services, key.tenant_id)


async def public_tenant(request: Request, *, named: str | None = None) -> Tenant:
    """The tenant a frontend request names with its public key (and, if the body names a
    `tenantId` too, that must be the same one)."""
    headers = request.headers
    public_key = (
        headers.get(PUBLIC_KEY_HEADER, "").strip() or headers.get(SDK_PUBLIC_KEY_HEADER, "").strip()
    )
    if not public_key:
        raise InvalidInput(f"the {PUBLIC_KEY_HEADER} header is required", field=PUBLIC_KEY_HEADER)
    if len(public_key) > 128:
        raise TenantNotFound("no tenant has that public key")
    tenant = await services_of(request).tenants.get_by_public_key(public_key)
    if named and parse_id(named, what="tenantId") != tenant.id:
        raise TenantNotFound("the tenantId is not the tenant of the public key")
    return tenant


def session_token(request: Request) -> str | None:
    """An explicit `Authorization: Bearer` wins over the ambient cookie, as with Kratos's header."""
    return bearer_token(request) or request.cookies.get(SESSION_COOKIE)


async def current_session(request: Request) -> Authenticated:
    """FastAPI dependency for the frontend API's signed-in endpoints."""
    tenant = await public_tenant(request)
    token = session_token(request)
    if token is None:
        raise AuthenticationFailed("no session: send the session cookie or a bearer token")
    if len(token) > 512:
        raise AuthenticationFailed("the session is not valid")
    return await services_of(request).sessions.authenticate(tenant.id, token)
