"""The one exception tree of sessiond. Every front door maps these to its own error body.

SessiondError
├── InvalidInput                 bad input from a caller (400 in every door)
│   ├── InvalidId                an id that is not one of ours in any rendered form
│   ├── InvalidFilter            a text filter that is not a safe regular expression
│   ├── InvalidPageToken         a page token or cursor that is broken, crafted or tampered with
│   ├── InvalidSort              a sort key that is not allowed
│   ├── WeakPassword             a password that does not meet the minimum rules
│   └── AlreadySignedIn          a first-factor sign-in asked for with a live session in hand
├── NotFound                     the thing does not exist, or is not this tenant's
│   ├── TenantNotFound
│   ├── UserNotFound
│   ├── SessionNotFound
│   ├── WebhookNotFound
│   └── AttemptNotFound
│       └── AttemptExpired       a sign-in or sign-up flow that was open but has expired
├── Conflict                     a unique value already taken (username, email, slug)
├── AuthenticationFailed         wrong identifier or password; never says which
│   ├── UserSuspended
│   └── SecondFactorFailed       a wrong, replayed or exhausted second-factor code
├── SessionNotLive               a token that names no live session; `reason` says why
├── SessionLimitReached          the per-user live-session limit with policy `deny`
├── TooManyGuesses               too many wrong passwords lately (account or IP); `retry_after`
└── StorageUnavailable           the database could not be reached or answered an error
"""

from __future__ import annotations

import math
from datetime import timedelta
from enum import StrEnum


class SessiondError(Exception):
    """Base of every error sessiond raises on purpose. `message` is safe to show to a caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(SessiondError):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidId(InvalidInput):
    pass


class InvalidFilter(InvalidInput):
    pass


PAGE_TOKEN_INVALID = "The page token is invalid, do not craft your own page tokens"


class InvalidPageToken(InvalidInput):
    def __init__(self, message: str = PAGE_TOKEN_INVALID, *, field: str | None = None) -> None:
        super().__init__(message, field=field)


class InvalidSort(InvalidInput):
    pass


class WeakPassword(InvalidInput):
    pass


class AlreadySignedIn(InvalidInput):
    pass


class NotFound(SessiondError):
    pass


class TenantNotFound(NotFound):
    pass


class UserNotFound(NotFound):
    pass


class SessionNotFound(NotFound):
    pass


class WebhookNotFound(NotFound):
    pass


class AttemptNotFound(NotFound):
    pass


class AttemptExpired(AttemptNotFound):
    pass


class Conflict(SessiondError):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AuthenticationFailed(SessiondError):
    pass


class UserSuspended(AuthenticationFailed):
    pass


class SecondFactorFailed(AuthenticationFailed):
    def __init__(self, message: str, *, exhausted: bool = False) -> None:
        super().__init__(message)
        self.exhausted = exhausted


class NotLiveReason(StrEnum):
    UNKNOWN = "unknown"
    ENDED = "ended"
    EXPIRED = "expired"
    IDLE = "idle"
    USER_SUSPENDED = "user_suspended"


class LockedOut(SecondFactorFailed):
    """Too many wrong second-factor codes lately: no code is checked until the lock passes."""

    def __init__(self) -> None:
        super().__init__("too many wrong second-factor codes; try again later", exhausted=True)


class ProviderNotFound(NotFound):
    """No OAuth provider with that id in the tenant."""


class SessionNotLive(SessiondError):
    def __init__(self, reason: NotLiveReason) -> None:
        super().__init__(f"the session is not live: {reason.value}")
        self.reason = reason


class SessionLimitReached(SessiondError):
    pass


class TooManyGuesses(SessiondError):
    """Too many wrong passwords lately for this account or from this address: no password is
    checked for `retry_after` seconds."""

    def __init__(self, wait: timedelta) -> None:
        self.retry_after = max(1, math.ceil(wait.total_seconds()))
        super().__init__(
            f"too many failed sign-in attempts; try again in {self.retry_after} seconds"
        )


class StorageUnavailable(SessiondError):
    pass


class MailUnavailable(StorageUnavailable):
    """The mail server could not be reached or refused the message."""
