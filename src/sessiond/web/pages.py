"""Rendering a page, reading a posted form, and the headers every answer of the pages carries."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sessiond.web.devices import utc_title

SECURITY_HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)
MAX_FIELDS = 20
STATIC_PATH = "/t/_static"  # slugs are lower-case letters, digits and dashes: no tenant's path


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sessiond.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["utc"] = utc_title
    return env


def page(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    env: jinja2.Environment = request.app.state.templates
    html = env.get_template(template).render(static=STATIC_PATH, **context)
    return HTMLResponse(html, status_code=status, headers=headers)


def account_path(slug: str) -> str:
    return f"/t/{slug}/account"


def admin_path(slug: str) -> str:
    return f"/t/{slug}/admin"


def sign_in_path(slug: str) -> str:
    return f"/t/{slug}/account/sign-in"


def see_other(location: str) -> RedirectResponse:
    """Redirect-after-post: the browser follows with a GET."""
    return RedirectResponse(location, status_code=303)


async def form_of(request: Request, *, most: int = MAX_FIELDS) -> dict[str, str]:
    """A URL-encoded form; the first of a repeated field wins."""
    fields: dict[str, str] = {}
    for name, value in await form_pairs(request, most=most):
        fields.setdefault(name, value)
    return fields


async def form_pairs(request: Request, *, most: int = MAX_FIELDS) -> list[tuple[str, str]]:
    """Every field of a URL-encoded form, repeated ones included; none past `most` fields."""
    text = (await request.body()).decode("utf-8", "replace")
    try:
        return parse_qsl(text, keep_blank_values=True, max_num_fields=most)
    except ValueError:  # too many fields: no form of these pages, so no CSRF token either
        return []


class SecurityHeaders:
    """Every answer of the pages, errors and the style sheet included, carries these headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [h for h in message.get("headers", ()) if h[0] != b"cache-control"]
                message = {**message, "headers": [*kept, *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, sending)
