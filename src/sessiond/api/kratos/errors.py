"""Kratos's error body, `{"error": {...}}`, and the map from domain errors to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.doors import BodyTooLarge
from sessiond.api.errors import ErrorTable, retry_after
from sessiond.api.openapi import INTEGER, OBJECT, STRING, closed, obj
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

STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
DEFAULT_MESSAGE = {
    400: "The request was malformed or contained invalid parameters",
    401: "The request could not be authorized",
    403: "The requested action was forbidden",
    404: "Unable to locate the resource",
    405: "The requested method is not allowed",
    409: "The resource could not be created due to a conflict",
    410: "The requested resource is no longer available",
    413: "The request body is too large",
    429: "Too many requests, try again later",
    500: "An internal server error occurred, please contact the system administrator",
    503: "The service is temporarily unavailable",
}
NO_SESSION_REASON = "No valid session credentials found in the request."
ALREADY_REASON = (
    "A valid session was detected and thus login is not possible. "
    "Did you forget to set `?refresh=true`?"
)


ERROR_SCHEMA = closed(
    obj(
        ["error"],
        error=closed(
            obj(
                ["code", "status", "message"],
                id=STRING,
                code=INTEGER,
                status=STRING,
                reason=STRING,
                message=STRING,
                details=OBJECT,
            )
        ),
    )
)


class KratosError(Exception):
    """An error the door raises itself, rendered as given."""

    def __init__(
        self,
        code: int,
        *,
        message: str | None = None,
        reason: str | None = None,
        error_id: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or reason or STATUS_TEXT.get(code, ""))
        self.headers = headers
        self.code = code
        self.message = message
        self.reason = reason
        self.error_id = error_id
        self.details = details


def error_body(error: KratosError) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if error.error_id is not None:
        body["id"] = error.error_id
    body["code"] = error.code
    body["status"] = STATUS_TEXT.get(error.code, "Error")
    if error.reason is not None:
        body["reason"] = error.reason
    body["message"] = error.message or DEFAULT_MESSAGE.get(error.code, "An error occurred")
    if error.details is not None:
        body["details"] = error.details
    return {"error": body}


def error_response(error: KratosError) -> OrjsonResponse:
    return OrjsonResponse(error_body(error), status_code=error.code, headers=error.headers)


def internal_error() -> Response:
    """Kratos's 500 (the dispatcher adds the request id the log line carries)."""
    return error_response(KratosError(500))


def no_session() -> KratosError:
    return KratosError(401, reason=NO_SESSION_REASON)


def _with_reason(code: int) -> Callable[[SessiondError], KratosError]:
    return lambda exc: KratosError(code, reason=exc.message)


def _plain(code: int) -> Callable[[SessiondError], KratosError]:
    return lambda exc: KratosError(code)


ERRORS = ErrorTable(
    "kratos",
    {
        AlreadySignedIn: lambda exc: KratosError(
            400, error_id="session_already_available", reason=ALREADY_REASON
        ),
        InvalidPageToken: _with_reason(400),
        InvalidId: lambda exc: KratosError(400, message=exc.message),
        InvalidInput: _with_reason(400),
        InvalidFilter: _with_reason(400),
        InvalidSort: _with_reason(400),
        WeakPassword: _with_reason(400),
        AttemptExpired: lambda exc: KratosError(
            410, error_id="self_service_flow_expired", reason=exc.message
        ),
        TenantNotFound: _with_reason(404),
        NotFound: _plain(404),
        UserNotFound: _plain(404),
        SessionNotFound: _plain(404),
        AttemptNotFound: _plain(404),
        ProviderNotFound: _plain(404),
        WebhookNotFound: _plain(404),
        Conflict: _with_reason(409),
        SessionNotLive: lambda exc: no_session(),
        AuthenticationFailed: _with_reason(401),
        UserSuspended: _with_reason(401),
        SecondFactorFailed: _with_reason(401),
        LockedOut: _with_reason(401),
        SecondFactorRefused: _with_reason(403),
        SessionLimitReached: _with_reason(403),
        TooManyGuesses: lambda exc: KratosError(429, reason=exc.message, headers=retry_after(exc)),
        StorageUnavailable: _plain(503),
        MailUnavailable: _plain(503),
        SessiondError: _plain(500),
    },
)


def install_handlers(app: FastAPI) -> None:
    async def kratos(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, KratosError)
        return error_response(exc)

    async def domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SessiondError)
        return error_response(ERRORS.answer(request, exc))

    async def fault(request: Request, exc: Exception) -> Response:
        return internal_error()

    async def http(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, HTTPException):
            return error_response(KratosError(500))
        reason = exc.detail if isinstance(exc, BodyTooLarge) else None
        return error_response(KratosError(exc.status_code, reason=reason))

    async def validation(request: Request, exc: Exception) -> Response:
        return error_response(KratosError(400, reason="the request could not be parsed"))

    app.add_exception_handler(KratosError, kratos)
    app.add_exception_handler(SessiondError, domain)
    app.add_exception_handler(Exception, fault)  # the last resort, logged by the dispatcher
    app.add_exception_handler(HTTPException, http)
    app.add_exception_handler(RequestValidationError, validation)
