"""Kratos's error body, `{"error": {...}}`, and the map from domain errors to it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.responses import OrjsonResponse
from sessiond.domain.errors import (
    AlreadySignedIn,
    AttemptExpired,
    AuthenticationFailed,
    Conflict,
    InvalidId,
    InvalidInput,
    InvalidPageToken,
    NotFound,
    SessiondError,
    SessionLimitReached,
    SessionNotLive,
    StorageUnavailable,
    TenantNotFound,
)

STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
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
    500: "An internal server error occurred, please contact the system administrator",
    503: "The service is temporarily unavailable",
}
NO_SESSION_REASON = "No valid session credentials found in the request."
ALREADY_REASON = (
    "A valid session was detected and thus login is not possible. "
    "Did you forget to set `?refresh=true`?"
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
    ) -> None:
        super().__init__(message or reason or STATUS_TEXT.get(code, ""))
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
    return OrjsonResponse(error_body(error), status_code=error.code)


def no_session() -> KratosError:
    return KratosError(401, reason=NO_SESSION_REASON)


def from_domain(exc: Exception) -> KratosError:
    if isinstance(exc, AlreadySignedIn):
        return KratosError(400, error_id="session_already_available", reason=ALREADY_REASON)
    if isinstance(exc, InvalidPageToken):
        return KratosError(400, reason=exc.message)
    if isinstance(exc, InvalidId):
        return KratosError(400, message=exc.message)
    if isinstance(exc, InvalidInput):
        return KratosError(400, reason=exc.message)
    if isinstance(exc, AttemptExpired):
        return KratosError(410, error_id="self_service_flow_expired", reason=exc.message)
    if isinstance(exc, TenantNotFound):
        return KratosError(404, reason=exc.message)
    if isinstance(exc, NotFound):
        return KratosError(404)
    if isinstance(exc, Conflict):
        return KratosError(409, reason=exc.message)
    if isinstance(exc, SessionNotLive):
        return no_session()
    if isinstance(exc, AuthenticationFailed):
        return KratosError(401, reason=exc.message)
    if isinstance(exc, SessionLimitReached):
        return KratosError(403, reason=exc.message)
    if isinstance(exc, StorageUnavailable):
        return KratosError(503)
    return KratosError(500)


def install_handlers(app: FastAPI) -> None:
    async def kratos(request: Request, exc: Exception) -> Response:
        error = exc if isinstance(exc, KratosError) else from_domain(exc)
        return error_response(error)

    async def http(request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        return error_response(KratosError(code))

    async def validation(request: Request, exc: Exception) -> Response:
        return error_response(KratosError(400, reason="the request could not be parsed"))

    app.add_exception_handler(KratosError, kratos)
    app.add_exception_handler(SessiondError, kratos)
    app.add_exception_handler(Exception, kratos)  # the last resort: a 500 in Kratos's shape
    app.add_exception_handler(HTTPException, http)
    app.add_exception_handler(RequestValidationError, validation)
