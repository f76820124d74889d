"""What became of a sign-in, in the same words for every door: what operators count (`/metrics`).

A door's sign-in step ends with a session, with an attempt waiting for a second factor, or with
one of the errors of `errors.py` (or Rocket.Chat's `SecondFactorRefused`); `outcome_of` names the
outcome of an error.
"""

from __future__ import annotations

from enum import StrEnum

from sessiond.domain.errors import (
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    SecondFactorFailed,
    SessionLimitReached,
    TooManyGuesses,
    UserSuspended,
)
from sessiond.domain.two_factor import Refusal, SecondFactorRefused


class SignInOutcome(StrEnum):
    SUCCESS = "success"  # a session was issued (or stepped up)
    SECOND_FACTOR_REQUIRED = "second_factor_required"  # the attempt waits for a code
    WRONG_CREDENTIALS = "wrong_credentials"
    WRONG_CODE = "wrong_code"
    SUSPENDED = "suspended"
    SESSION_LIMIT = "session_limit"  # the tenant's limit of live sessions, policy `deny`
    THROTTLED = "throttled"  # too many wrong passwords lately: no password was checked
    TOO_MANY_CODES = "too_many_codes"  # the second factor's tries are used up or locked
    INVALID = "invalid"  # bad input, or no such attempt or flow (or it expired)
    ERROR = "error"  # the database or Redis failed, or a fault


_REFUSALS = {
    Refusal.REQUIRED: SignInOutcome.SECOND_FACTOR_REQUIRED,
    Refusal.INVALID: SignInOutcome.WRONG_CODE,
    Refusal.MAX_ATTEMPTS: SignInOutcome.TOO_MANY_CODES,
}


def outcome_of(error: Exception) -> SignInOutcome:
    if isinstance(error, SecondFactorRefused):
        return _REFUSALS[error.refusal]
    if isinstance(error, SecondFactorFailed):
        return SignInOutcome.TOO_MANY_CODES if error.exhausted else SignInOutcome.WRONG_CODE
    if isinstance(error, UserSuspended):
        return SignInOutcome.SUSPENDED
    if isinstance(error, AuthenticationFailed):
        return SignInOutcome.WRONG_CREDENTIALS
    if isinstance(error, TooManyGuesses):
        return SignInOutcome.THROTTLED
    if isinstance(error, SessionLimitReached):
        return SignInOutcome.SESSION_LIMIT
    if isinstance(error, InvalidInput | NotFound):
        return SignInOutcome.INVALID
    return SignInOutcome.ERROR
