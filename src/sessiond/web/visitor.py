"""Who is looking at a page: the tenant its path names and, when the session cookie holds a live
session of that tenant, the signed-in user."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from sessiond.api.kit import services_of
from sessiond.domain.errors import SessionNotLive
from sessiond.domain.tenant import Tenant
from sessiond.services.sessions import Authenticated
from sessiond.web.guard import CSRF_FIELD, SESSION_COOKIE, csrf_matches, csrf_token


@dataclass(frozen=True, slots=True)
class Visitor:
    tenant: Tenant
    token: str
    auth: Authenticated

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)

    def posted_by_page(self, request: Request, form: dict[str, str]) -> bool:
        return csrf_matches(request, self.token, form.get(CSRF_FIELD))


async def tenant_of(request: Request, slug: str) -> Tenant:
    """`TenantNotFound` (a 404 page) for a slug no tenant has."""
    return await services_of(request).tenants.get_by_slug(slug)


async def visitor_of(request: Request, tenant: Tenant) -> Visitor | None:
    """None without a live session: no cookie, or one whose session has ended or expired."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        auth = await services_of(request).sessions.authenticate(tenant.id, token)
    except SessionNotLive:
        return None
    return Visitor(tenant, token, auth)
