"""The pages' own app: a door owning `/t/`, with its routes, its style sheet and its error pages."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from sessiond.api.doors import BodyTooLarge, Door
from sessiond.api.kit import DoorConfig, door_app
from sessiond.domain.errors import NotFound, StorageUnavailable
from sessiond.settings import Settings
from sessiond.web import (
    account,
    admin_charts,
    admin_gate,
    admin_sessions,
    admin_users,
    security,
    signing,
)
from sessiond.web.pages import SECURITY_HEADERS, STATIC_PATH, SecurityHeaders, page, templates
from sessiond.web.visitor import NotFromThisSite, SignInFirst, not_from_this_site, sign_in_first

PREFIXES = ("/t/",)
FAULT = "<!doctype html><title>Something went wrong</title><p>Something went wrong. Try again."


def create_door(settings: Settings) -> Door:
    config = DoorConfig(name="web", proxies=settings.proxies())
    return Door(
        name=config.name,
        prefixes=PREFIXES,
        app=SecurityHeaders(create_app(config)),
        max_body_bytes=64 * 1024,
        fault=_fault,
    )


def create_app(config: DoorConfig) -> FastAPI:
    # The pages publish no OpenAPI document; their errors are HTML pages.
    html_page = {"type": "string", "contentMediaType": "text/html"}
    app = door_app("sessiond: web pages", config, openapi_url=None, error_schema=html_page)
    app.state.templates = templates()
    app.state.stylesheet = files("sessiond.web").joinpath("static/web.css").read_bytes()
    app.add_api_route(f"{STATIC_PATH}/web.css", _stylesheet, include_in_schema=False)
    app.include_router(signing.router)
    app.include_router(account.router)
    app.include_router(security.router)
    app.include_router(admin_gate.router)
    app.include_router(admin_sessions.router)
    app.include_router(admin_users.router)
    app.include_router(admin_charts.router)
    app.add_exception_handler(SignInFirst, sign_in_first)
    app.add_exception_handler(NotFromThisSite, not_from_this_site)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(BodyTooLarge, _http_error)
    app.add_exception_handler(StorageUnavailable, _unavailable)
    app.add_exception_handler(Exception, _unexpected)
    return app


async def _stylesheet(request: Request) -> Response:
    return Response(request.app.state.stylesheet, media_type="text/css")


async def _not_found(request: Request, exc: Exception) -> Response:
    return _message(request, 404, "Not found", "There is no page here.")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return await _not_found(request, exc)
    return _message(request, exc.status_code, "Refused", "This request cannot be served.")


async def _unavailable(request: Request, exc: Exception) -> Response:
    text = "The service is briefly unavailable. Try again in a moment."
    return _message(request, 503, "Unavailable", text)


async def _unexpected(request: Request, exc: Exception) -> Response:
    """The last resort; the door dispatcher logs the fault once."""
    return _message(request, 500, "Something went wrong", "Something went wrong. Try again.")


def _message(request: Request, status: int, title: str, text: str) -> Response:
    return page(request, "message.html", status=status, tenant=None, title=title, text=text)


def _fault() -> Response:
    """The 500 for a fault that escaped the app before it answered: the headers set by hand."""
    headers = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}
    return HTMLResponse(FAULT, status_code=500, headers=headers)
