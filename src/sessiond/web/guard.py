"""The cookies the pages keep and the CSRF tokens bound to them.

Four cookies, all HttpOnly, SameSite=Lax, Secure over HTTPS and scoped to `/t/{slug}/`: the
session token the sign-in pipeline issued; before that, a random pre-session value; between the
password and the second factor, the attempt waiting for its code; and, between turning TOTP on
and the page that shows them once, the new backup codes (bound to the session, for minutes).

A form's CSRF token is an HMAC of the cookie it is bound to (the session token once signed in,
the pre-session value before), so it needs no storage and no server secret: only a client that
can read the page of that very cookie holder knows it, and it changes with every new session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.kit import over_https

SESSION_COOKIE = "sessiond_web_session"
PRE_SESSION_COOKIE = "sessiond_web_pre"
ATTEMPT_COOKIE = "sessiond_web_attempt"
CODES_COOKIE = "sessiond_web_codes"
CSRF_FIELD = "csrf_token"
_LABEL = b"sessiond web form\x00"
_BOUND_LABEL = b"sessiond web attempt\x00"


def cookie_path(slug: str) -> str:
    return f"/t/{slug}/"


def set_cookie(
    response: Response, request: Request, slug: str, name: str, value: str, *, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=cookie_path(slug),
        httponly=True,
        secure=over_https(request),
        samesite="lax",
    )


def clear_cookie(response: Response, request: Request, slug: str, name: str) -> None:
    response.delete_cookie(
        name, path=cookie_path(slug), httponly=True, secure=over_https(request), samesite="lax"
    )


def new_pre_session() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(bound_to: str) -> str:
    return hmac.new(bound_to.encode(), _LABEL, hashlib.sha256).hexdigest()


def bound(value: str, to: str) -> str:
    """`value` (without a dot) with a MAC that only `to` (a browser's pre-session cookie or its
    session token) makes: a cookie holding it is worthless in another browser or session."""
    mac = hmac.new(to.encode(), _BOUND_LABEL + value.encode(), hashlib.sha256).hexdigest()
    return f"{value}.{mac}"


def unbound(signed: str | None, to: str | None) -> str | None:
    """The value `bound` gave `signed`, if it was bound to `to`; else None."""
    if not signed or not to:
        return None
    value, _, _ = signed.partition(".")
    return value if hmac.compare_digest(bound(value, to).encode(), signed.encode()) else None


def csrf_matches(request: Request, bound_to: str | None, presented: object) -> bool:
    """A form post came from one of our pages: it carries the token of the cookie it is bound
    to, and, when the browser names the page's origin, that origin is this site. The origin check
    stops a sibling subdomain that planted a pre-session cookie it knows (cookie tossing), which
    the token alone cannot tell from this site."""
    if not bound_to or not isinstance(presented, str) or not _same_origin(request):
        return False
    return hmac.compare_digest(csrf_token(bound_to).encode(), presented.encode())


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not every browser sends it on a same-origin post; the token still holds
    scheme = "https" if over_https(request) else "http"
    return origin == f"{scheme}://{request.headers.get('host', '')}"
