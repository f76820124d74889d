"""Second factors asked for by a REST call (Rocket.Chat's rules): which method, what the caller is
told, and how long a proof holds for the same token, user agent and address."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sessiond.domain.errors import SessiondError

TRUST_PERIOD = timedelta(seconds=1800)
EMAIL_CODE_LIFETIME = timedelta(seconds=3600)
EMAIL_CODE_MAX_TRIES = 5
EMAIL_CODE_DIGITS = 6


class Method(StrEnum):
    TOTP = "totp"
    EMAIL = "email"
    PASSWORD = "password"


class Refusal(StrEnum):
    REQUIRED = "totp-required"
    INVALID = "totp-invalid"
    MAX_ATTEMPTS = "totp-max-attempts"


@dataclass(frozen=True, slots=True)
class Challenge:
    """What a caller is told about the second factor it must give."""

    method: Method
    available: tuple[Method, ...]
    code_generated: bool = False
    email_or_username: str | None = None


class SecondFactorRefused(SessiondError):
    def __init__(self, refusal: Refusal, challenge: Challenge) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal
        self.challenge = challenge


@dataclass(frozen=True, slots=True)
class EmailCode:
    user_id: uuid.UUID
    code_id: uuid.UUID
    digest: str = field(repr=False)
    tries: int
    expires_at: datetime
    created_at: datetime

    def usable(self, *, now: datetime) -> bool:
        """Whether asking for a code reuses this one instead of mailing a new one."""
        return now < self.expires_at and self.tries < EMAIL_CODE_MAX_TRIES


def choose_method(named: str | None, available: Sequence[Method]) -> Method:
    """The method named, if the user has it; else the first the user has; else the password."""
    for method in available:
        if method.value == named:
            return method
    return available[0] if available else Method.PASSWORD


def client_fingerprint(*, user_agent: str, ip: str | None) -> str:
    """Binds a trusted second factor to one client: its user agent and address."""
    data = json.dumps({"userAgent": user_agent, "clientAddress": ip}, sort_keys=True)
    return hashlib.sha256(data.encode("utf-8", "replace")).hexdigest()


def email_code_digits(code: str) -> str:
    """`123-456` and `123 456` are `123456`: every non-digit is dropped before the check."""
    return "".join(ch for ch in code if ch.isascii() and ch.isdigit())
