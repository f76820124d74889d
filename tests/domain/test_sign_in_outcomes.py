"""What became of a sign-in, named the same for every door's errors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessiond.domain.errors import (
    AttemptExpired,
    AuthenticationFailed,
    InvalidInput,
    LockedOut,
    SecondFactorFailed,
    SessionLimitReached,
    StorageUnavailable,
    TenantNotFound,
    TooManyGuesses,
    UserSuspended,
)
from sessiond.domain.sign_in_outcomes import SignInOutcome, outcome_of
from sessiond.domain.two_factor import Challenge, Method, Refusal, SecondFactorRefused

CHALLENGE = Challenge(Method.TOTP, (Method.TOTP,))


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (AuthenticationFailed("wrong"), SignInOutcome.WRONG_CREDENTIALS),
        (UserSuspended("suspended"), SignInOutcome.SUSPENDED),
        (SecondFactorFailed("wrong code"), SignInOutcome.WRONG_CODE),
        (SecondFactorFailed("used up", exhausted=True), SignInOutcome.TOO_MANY_CODES),
        (LockedOut(), SignInOutcome.TOO_MANY_CODES),
        (SecondFactorRefused(Refusal.REQUIRED, CHALLENGE), SignInOutcome.SECOND_FACTOR_REQUIRED),
        (SecondFactorRefused(Refusal.INVALID, CHALLENGE), SignInOutcome.WRONG_CODE),
        (SecondFactorRefused(Refusal.MAX_ATTEMPTS, CHALLENGE), SignInOutcome.TOO_MANY_CODES),
        (TooManyGuesses(timedelta(seconds=30)), SignInOutcome.THROTTLED),
        (SessionLimitReached("full"), SignInOutcome.SESSION_LIMIT),
        (InvalidInput("bad"), SignInOutcome.INVALID),
        (AttemptExpired("gone"), SignInOutcome.INVALID),
        (TenantNotFound("none"), SignInOutcome.INVALID),
        (StorageUnavailable("down"), SignInOutcome.ERROR),
        (RuntimeError("a bug"), SignInOutcome.ERROR),
    ],
)
def test_each_error_names_its_outcome(error: Exception, outcome: SignInOutcome) -> None:
    assert outcome_of(error) is outcome
