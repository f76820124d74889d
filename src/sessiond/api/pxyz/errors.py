"""pxyz's error body, `{status: "error", message, code, issues?}`, and the map from sessiond's
errors to it. Codes are tRPC's, as pxyz's server (tRPC-OpenAPI) answers them."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from sessiond.api.responses import OrjsonResponse
from sessiond.domain.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    SessiondError,
    SessionLimitReached,
    SessionNotLive,
    StorageUnavailable,
    UserSuspended,
)

log = logging.getLogger(__name__)

_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_SUPPORTED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    500: "INTERNAL_SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


class Forbidden(SessiondError):
    """The caller is known but may not do this (a tenant key creating tenants)."""


def error_response(
    status: int, message: str, *, issues: list[dict[str, Any]] | None = None
) -> OrjsonResponse:
    body: dict[str, Any] = {
        "status": "error",
        "message": message,
        "code": _CODES.get(status, "BAD_REQUEST" if status < 500 else "INTERNAL_SERVER_ERROR"),
    }
    if issues is not None:
        body["issues"] = issues
    return OrjsonResponse(body, status_code=status)


def status_of(exc: SessiondError) -> int:
    if isinstance(exc, InvalidInput):
        return 400
    if isinstance(exc, UserSuspended | SessionLimitReached | Forbidden):
        return 403
    if isinstance(exc, AuthenticationFailed | SessionNotLive):
        return 401
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, StorageUnavailable):
        return 503
    return 400


async def _domain(request: Request, exc: Exception) -> OrjsonResponse:
    assert isinstance(exc, SessiondError)
    status = status_of(exc)
    if status == 503:
        log.warning("pxyz: %s", exc.message)
    return error_response(status, exc.message)


async def _validation(request: Request, exc: Exception) -> OrjsonResponse:
    assert isinstance(exc, RequestValidationError)
    issues = [{"message": _issue(error)} for error in exc.errors()]
    return error_response(400, "the request is not valid", issues=issues)


async def _http(request: Request, exc: Exception) -> OrjsonResponse:
    assert isinstance(exc, HTTPException)
    messages = {404: "no such endpoint", 405: "this method is not allowed here"}
    message = messages.get(exc.status_code, str(exc.detail))
    return error_response(exc.status_code, message)


async def _unexpected(request: Request, exc: Exception) -> OrjsonResponse:
    log.exception("pxyz: unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "an unexpected error occurred")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SessiondError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


def _issue(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    text = str(error.get("msg", "invalid"))
    return f"{where}: {text}" if where else text
