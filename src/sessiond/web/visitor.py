"""Who is looking at a page: the tenant its path names and, when the session cookie holds a live
session of that tenant, the signed-in user. Pages for signed-in users take `SignedIn` (or, for a
form post, `PostedForm`): anyone else gets the sign-in form, and a post that did not come from
one of the pages a refusal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.kit import services_of
from sessiond.domain.errors import SessionNotLive
from sessiond.domain.tenant import Tenant
from sessiond.services.sessions import Authenticated
from sessiond.web.guard import CSRF_FIELD, SESSION_COOKIE, clear_cookie, csrf_matches, csrf_token
from sessiond.web.pages import form_of, page, see_other, sign_in_path

FORBIDDEN = "This form has expired or did not come from this site. Reload the page and try again."


class SignInFirst(Exception):
    """A page for signed-in users asked for without a live session (`sign_in_first` answers)."""

    def __init__(self, slug: str) -> None:
        super().__init__(slug)
        self.slug = slug


class NotFromThisSite(Exception):
    """A signed-in user's form post without the CSRF token of their session, or from another
    origin (`not_from_this_site` answers)."""

    def __init__(self, tenant: Tenant) -> None:
        super().__init__(tenant.slug)
        self.tenant = tenant


@dataclass(frozen=True, slots=True)
class Visitor:
    tenant: Tenant
    token: str = field(repr=False)
    auth: Authenticated

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)

    def posted_by_page(self, request: Request, form: dict[str, str]) -> bool:
        return csrf_matches(request, self.token, form.get(CSRF_FIELD))


@dataclass(frozen=True, slots=True)
class Posted:
    visitor: Visitor
    form: dict[str, str] = field(repr=False)  # may hold passwords and codes


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


async def signed_in_visitor(request: Request, slug: str) -> Visitor:
    """The dependency of a page for signed-in users; anyone else gets the sign-in form."""
    tenant = await tenant_of(request, slug)
    visitor = await visitor_of(request, tenant)
    if visitor is None:
        raise SignInFirst(slug)
    return visitor


async def signed_in_post(request: Request, slug: str) -> Posted:
    """The dependency of a signed-in user's form post, refused unless one of the pages sent it."""
    visitor = await signed_in_visitor(request, slug)
    form = await form_of(request)
    if not visitor.posted_by_page(request, form):
        raise NotFromThisSite(visitor.tenant)
    return Posted(visitor, form)


SignedIn = Annotated[Visitor, Depends(signed_in_visitor)]
PostedForm = Annotated[Posted, Depends(signed_in_post)]


def forbidden(request: Request, tenant: Tenant) -> Response:
    return page(request, "message.html", status=403, tenant=tenant, title="Refused", text=FORBIDDEN)


def to_sign_in(request: Request, slug: str) -> Response:
    """To the sign-in form, dropping a session cookie whose session is no longer live."""
    response = see_other(sign_in_path(slug))
    clear_cookie(response, request, slug, SESSION_COOKIE)
    return response


async def sign_in_first(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInFirst)
    return to_sign_in(request, exc.slug)


async def not_from_this_site(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotFromThisSite)
    return forbidden(request, exc.tenant)
