"""Rocket.Chat's error bodies, and the map from sessiond's errors to them.

The `rocketchat-api` client raises a useful exception only for bodies with `success: false`, so
every error body carries it, but login's: the client turns any 401 from login into its
authentication error, and login's body is Rocket.Chat's `{status: "error", error, message}`.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sessiond.api.errors import ErrorTable, retry_after
from sessiond.api.openapi import STRING, obj, strings
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
from sessiond.domain.two_factor import Refusal, SecondFactorRefused

# `{success: false, error, ...}`, or login's `{status: "error", error, message}`.
ERROR_SCHEMA = {
    "anyOf": [
        obj(["success", "error"], success={"const": False}, error=STRING, errorType=STRING),
        obj(["status", "error", "message"], status=strings("error"), error=STRING, message=STRING),
    ]
}
NOT_LOGGED_IN = "You must be logged in to do this."
UNAUTHORIZED_ACTION = (
    "User does not have the permissions required for this action [error-unauthorized]"
)
ADDITIONAL_PROPERTIES = "must NOT have additional properties"
_REFUSAL_TEXT = {
    Refusal.REQUIRED: "TOTP Required",
    Refusal.INVALID: "TOTP Invalid",
    Refusal.MAX_ATTEMPTS: "TOTP Maximun Failed Attempts Reached",
}


class WireError(Exception):
    """An answer decided by the door itself: a status and a body."""

    def __init__(
        self, status: int, body: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(body.get("error"))
        self.status = status
        self.body = body
        self.headers = headers

    def response(self) -> OrjsonResponse:
        return OrjsonResponse(self.body, status_code=self.status, headers=self.headers)


def failure(status: int, error: str, error_type: str | None = None) -> WireError:
    body: dict[str, Any] = {"success": False, "error": error}
    if error_type is not None:
        body["errorType"] = error_type
    return WireError(status, body)


def too_many_requests(exc: TooManyGuesses) -> WireError:
    """Rocket.Chat's rate limiter's answer, with the wait in seconds in its message."""
    message = (
        "Error, too many requests. Please slow down. You must wait "
        f"{exc.retry_after} seconds before trying this endpoint again. [error-too-many-requests]"
    )
    return WireError(429, {"success": False, "error": message}, headers=retry_after(exc))


def not_logged_in() -> WireError:
    return WireError(
        401, {"success": False, "status": "error", "error": NOT_LOGGED_IN, "message": NOT_LOGGED_IN}
    )


def forbidden() -> WireError:
    return failure(403, UNAUTHORIZED_ACTION)


def session_not_found() -> WireError:
    return failure(404, "Session not found")


def invalid_params(reason: str = ADDITIONAL_PROPERTIES) -> WireError:
    return failure(400, f"{reason} [invalid-params]", "invalid-params")


def body_too_large(limit: int) -> WireError:
    return failure(
        413, f"the body is larger than {limit} bytes [error-too-large]", "error-too-large"
    )


def invalid_sort(raw: str) -> WireError:
    return failure(
        400, f'Invalid sort parameter provided: "{raw}" [error-invalid-sort]', "error-invalid-sort"
    )


def invalid_sort_keys() -> WireError:
    return failure(400, "error-invalid-sort-keys")


def login_failed(error: str = "Unauthorized", message: str = "Unauthorized") -> WireError:
    return WireError(401, {"status": "error", "error": error, "message": message})


def challenge_details(refused: SecondFactorRefused) -> dict[str, Any]:
    challenge = refused.challenge
    details: dict[str, Any] = {
        "method": challenge.method.value,
        "codeGenerated": challenge.code_generated,
        "availableMethods": [method.value for method in challenge.available],
    }
    if challenge.email_or_username is not None:
        details["emailOrUsername"] = challenge.email_or_username
    return details


def second_factor_refused(refused: SecondFactorRefused) -> WireError:
    kind = refused.refusal.value
    body = {
        "success": False,
        "error": f"{_REFUSAL_TEXT[refused.refusal]} [{kind}]",
        "errorType": kind,
        "details": challenge_details(refused),
    }
    return WireError(400, body)


def login_second_factor_refused(refused: SecondFactorRefused) -> WireError:
    """Login answers a missing or wrong code the way Rocket.Chat's login route does: 401."""
    kind = refused.refusal.value
    body = {
        "status": "error",
        "error": kind,
        "message": _REFUSAL_TEXT[refused.refusal],
        "details": challenge_details(refused),
    }
    return WireError(401, body)


def _not_found(exc: SessiondError) -> WireError:
    return failure(404, f"{exc.message} [error-not-found]", "error-not-found")


def _unavailable(exc: SessiondError) -> WireError:
    return failure(
        503, "the service is unavailable, try again [error-unavailable]", "error-unavailable"
    )


def _invalid_request(exc: SessiondError) -> WireError:
    return failure(400, f"{exc.message} [error-invalid-request]", "error-invalid-request")


def _invalid_params(exc: SessiondError) -> WireError:
    return invalid_params(exc.message)


ERRORS = ErrorTable(
    "rocketchat",
    {
        SecondFactorRefused: second_factor_refused,
        SessionNotLive: lambda exc: not_logged_in(),
        SessionNotFound: lambda exc: session_not_found(),
        InvalidFilter: lambda exc: failure(
            400, f"{exc.message} [error-invalid-filter]", "error-invalid-filter"
        ),
        InvalidInput: _invalid_params,
        InvalidId: _invalid_params,
        InvalidPageToken: _invalid_params,
        InvalidSort: _invalid_params,
        WeakPassword: _invalid_params,
        AlreadySignedIn: _invalid_params,
        Conflict: lambda exc: failure(
            400, f"{exc.message} [error-field-unavailable]", "error-field-unavailable"
        ),
        NotFound: _not_found,
        TenantNotFound: _not_found,
        UserNotFound: _not_found,
        AttemptNotFound: _not_found,
        AttemptExpired: _not_found,
        ProviderNotFound: _not_found,
        WebhookNotFound: _not_found,
        AuthenticationFailed: lambda exc: login_failed(),
        UserSuspended: lambda exc: login_failed(),
        SecondFactorFailed: lambda exc: login_failed(),
        LockedOut: lambda exc: login_failed(),
        TooManyGuesses: too_many_requests,
        StorageUnavailable: _unavailable,
        MailUnavailable: _unavailable,
        SessionLimitReached: _invalid_request,
        SessiondError: _invalid_request,
    },
)


def internal_error() -> Response:
    """Rocket.Chat's 500 (the dispatcher adds the request id the log line carries)."""
    return failure(
        500, "an unexpected error occurred [error-internal]", "error-internal"
    ).response()
