"""The Rocket.Chat door's own app: its routes and its error bodies for everything that fails."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.doors import BodyTooLarge, Door
from sessiond.api.fast_lane import FastLane
from sessiond.api.kit import DoorConfig, ServedTenant, door_app
from sessiond.api.rocketchat import accounts, methods, sessions
from sessiond.api.rocketchat.caller import MAX_BODY_BYTES
from sessiond.api.rocketchat.errors import (
    ERROR_SCHEMA,
    ERRORS,
    WireError,
    body_too_large,
    failure,
    internal_error,
    invalid_params,
)
from sessiond.domain.errors import SessiondError
from sessiond.settings import Settings

PREFIXES = ("/api/v1/", "/api/info")


def create_door(settings: Settings) -> Door:
    config = DoorConfig(
        name="rocketchat",
        proxies=settings.proxies(),
        tenant=ServedTenant(settings.rocketchat_tenant),
    )
    return Door(
        name=config.name,
        prefixes=PREFIXES,
        app=FastLane(
            create_app(config),
            routes={("GET", "/api/v1/me"): accounts.me, ("POST", "/api/v1/login"): accounts.login},
        ),
        max_body_bytes=MAX_BODY_BYTES,
        fault=internal_error,
    )


def create_app(config: DoorConfig) -> FastAPI:
    app = door_app(
        "sessiond: Rocket.Chat door",
        config,
        openapi_url="/api/v1/openapi.json",
        error_schema=ERROR_SCHEMA,
    )
    app.include_router(accounts.router)
    app.include_router(sessions.router)
    app.include_router(methods.router)
    app.add_exception_handler(WireError, _wire_error)
    app.add_exception_handler(SessiondError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(BodyTooLarge, _too_large)
    app.add_exception_handler(Exception, _unexpected)  # the last resort, still in this shape
    return app


async def _wire_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WireError)
    return exc.response()


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SessiondError)
    return ERRORS.answer(request, exc).response()


async def _validation_error(request: Request, exc: Exception) -> Response:
    return invalid_params().response()


async def _unexpected(request: Request, exc: Exception) -> Response:
    """The last resort; the door dispatcher logs the fault once."""
    return internal_error()


async def _too_large(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BodyTooLarge)
    return body_too_large(exc.limit).response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return failure(
            405, "Method not allowed [error-method-not-allowed]", "error-method-not-allowed"
        ).response()
    if exc.status_code == 404:
        return failure(
            404, "API endpoint not found [error-not-found]", "error-not-found"
        ).response()
    return failure(exc.status_code, f"{exc.detail} [error-http]", "error-http").response()
