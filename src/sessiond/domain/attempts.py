from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sessiond.domain.session import AAL

# How long a sign-in whose password was right waits for its second factor.
SECOND_FACTOR_WINDOW = timedelta(minutes=10)


class SignInStatus(StrEnum):
    NEEDS_IDENTIFIER = "needs_identifier"
    NEEDS_FACTOR_ONE = "needs_factor_one"
    NEEDS_FACTOR_TWO = "needs_factor_two"
    COMPLETE = "complete"
    FAILED = "failed"


class FailureReason(StrEnum):
    """Why a sign-in attempt failed."""

    INVALID_CREDENTIALS = "invalid_credentials"
    USER_SUSPENDED = "user_suspended"
    SESSION_LIMIT = "session_limit"
    TOO_MANY_CODES = "too_many_codes"
    EXPIRED = "expired"


class SignUpStatus(StrEnum):
    MISSING_REQUIREMENTS = "missing_requirements"
    NEEDS_VERIFICATION = "needs_verification"
    COMPLETE = "complete"
    ABANDONED = "abandoned"


class Strategy(StrEnum):
    USERNAME_PASSWORD = "username_password"
    EMAIL_PASSWORD = "email_password"
    PHONE_PASSWORD = "phone_password"
    EMAIL_LINK = "email_link"
    EMAIL_CODE = "email_code"
    PHONE_CODE = "phone_code"
    OAUTH = "oauth"
    AUTHENTICATOR_CODE = "authenticator_code"
    SECURITY_KEY = "security_key"


def password_strategy(identifier: str) -> Strategy:
    """How a password sign-in names its user: an address has an `@`, a username has none."""
    return Strategy.EMAIL_PASSWORD if "@" in identifier else Strategy.USERNAME_PASSWORD


@dataclass(frozen=True, slots=True)
class SignInAttempt:
    id: uuid.UUID
    tenant_id: uuid.UUID
    identifier: str
    strategy: Strategy
    status: SignInStatus
    created_at: datetime
    updated_at: datetime
    user_id: uuid.UUID | None = None
    ip: str | None = None
    user_agent: str | None = None
    oauth_provider_id: uuid.UUID | None = None
    failure_reason: FailureReason | None = None
    factor_tries: int = 0
    # Set on an attempt that is an open login flow (see domain/flows.py).
    requested_aal: AAL | None = None
    step_up_session_id: uuid.UUID | None = None

    @property
    def passed_first_factor(self) -> bool:
        """Whether the caller has proved the first factor. Before that (and on any failure) the
        attempt's user must stay hidden from the caller: showing it would confirm that the
        identifier exists."""
        return self.status in (SignInStatus.NEEDS_FACTOR_TWO, SignInStatus.COMPLETE)


@dataclass(frozen=True, slots=True)
class SignUpAttempt:
    id: uuid.UUID
    tenant_id: uuid.UUID
    strategy: Strategy
    status: SignUpStatus
    created_at: datetime
    updated_at: datetime
    user_id: uuid.UUID | None = None
    ip: str | None = None
    user_agent: str | None = None
