"""pxyz's error body, `{status: "error", message, code, issues?}`, and the map from sessiond's
errors to it. Codes are tRPC's, as pxyz's server (tRPC-OpenAPI) answers them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from sessiond.api.errors import ErrorTable, retry_after
from sessiond.api.openapi import STRING, array, closed, obj, strings
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.errors import (
    AlreadySignedIn,
    AttemptExpired,
    AttemptNotFound,
    AuthenticationFailed,
    Conflict,
    InvalidFilter,
    InvalidId,
    InvalidInput,
    InvalidPageToken,
    InvalidSort,
    LockedOut,
    MailUnavailable,
    NotFound,
    ProviderNotFound,
    SecondFactorFailed,
    SessiondError,
    SessionLimitReached,
    SessionNotFound,
    SessionNotLive,
    StorageUnavailable,
    TenantNotFound,
    TooManyGuesses,
    UserNotFound,
    UserSuspended,
    WeakPassword,
    WebhookNotFound,
)
from sessiond.domain.two_factor import SecondFactorRefused

ERROR_SCHEMA = closed(
    obj(
        ["status", "message", "code"],
        status=strings("error"),
        message=STRING,
        code=STRING,
        issues=array(closed(obj(["message"], message=STRING))),
    )
)
_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_SUPPORTED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


class Forbidden(SessiondError):
    """The caller is known but may not do this (a tenant key creating tenants)."""


def error_response(
    status: int,
    message: str,
    *,
    issues: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> OrjsonResponse:
    body: dict[str, Any] = {
        "status": "error",
        "message": message,
        "code": _CODES.get(status, "BAD_REQUEST" if status < 500 else "INTERNAL_SERVER_ERROR"),
    }
    if issues is not None:
        body["issues"] = issues
    return OrjsonResponse(body, status_code=status, headers=headers)


def _status(status: int) -> Callable[[SessiondError], OrjsonResponse]:
    return lambda exc: error_response(status, exc.message)


ERRORS = ErrorTable(
    "pxyz",
    {
        InvalidInput: _status(400),
        InvalidId: _status(400),
        InvalidFilter: _status(400),
        InvalidPageToken: _status(400),
        InvalidSort: _status(400),
        WeakPassword: _status(400),
        AlreadySignedIn: _status(400),
        UserSuspended: _status(403),
        SessionLimitReached: _status(403),
        Forbidden: _status(403),
        AuthenticationFailed: _status(401),
        SecondFactorFailed: _status(401),
        LockedOut: _status(401),
        SessionNotLive: _status(401),
        NotFound: _status(404),
        TenantNotFound: _status(404),
        UserNotFound: _status(404),
        SessionNotFound: _status(404),
        AttemptNotFound: _status(404),
        AttemptExpired: _status(404),
        ProviderNotFound: _status(404),
        WebhookNotFound: _status(404),
        Conflict: _status(409),
        TooManyGuesses: lambda exc: error_response(429, exc.message, headers=retry_after(exc)),
        StorageUnavailable: _status(503),
        MailUnavailable: _status(503),
        SecondFactorRefused: _status(400),
        SessiondError: _status(400),
    },
)


async def _domain(request: Request, exc: Exception) -> OrjsonResponse:
    assert isinstance(exc, SessiondError)
    return ERRORS.answer(request, exc)


async def _validation(request: Request, exc: Exception) -> OrjsonResponse:
    assert isinstance(exc, RequestValidationError)
    issues = [{"message": _issue(error)} for error in exc.errors()]
    return error_response(400, "the request is not valid", issues=issues)


async def _http(request: Request, exc: Exception) -> OrjsonResponse:
    assert isinstance(exc, HTTPException)
    messages = {404: "no such endpoint", 405: "this method is not allowed here"}
    message = messages.get(exc.status_code, str(exc.detail))
    return error_response(exc.status_code, message)


def internal_error() -> Response:
    """pxyz's 500 (the dispatcher adds the request id the log line carries)."""
    return error_response(500, "an unexpected error occurred")


async def _unexpected(request: Request, exc: Exception) -> Response:
    """The last resort; the door dispatcher logs the fault once."""
    return internal_error()


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SessiondError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


def _issue(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    text = str(error.get("msg", "invalid"))
    return f"{where}: {text}" if where else text
