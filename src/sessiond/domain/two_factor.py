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
EMAIL_MAIL_INTERVAL = timedelta(seconds=60)
FACTOR_TRY_LIMIT = 10
FACTOR_TRY_WINDOW = timedelta(minutes=15)


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
        """Whether a try at this code may still be made."""
        return now < self.expires_at and self.tries < EMAIL_CODE_MAX_TRIES

    def used_up(self, *, now: datetime) -> bool:
        """Every try was made: no code is accepted, and none minted, until this one expires."""
        return now < self.expires_at and self.tries >= EMAIL_CODE_MAX_TRIES

    def blocks_new_code(self, *, now: datetime) -> bool:
        """An unexpired code is never replaced: whoever asks for a new one cannot spoil it."""
        return now < self.expires_at


def may_mint_email_code(
    current: EmailCode | None, last_mailed_at: datetime | None, *, now: datetime
) -> bool:
    """A new code only when none is pending, and at most one mail per `EMAIL_MAIL_INTERVAL`."""
    if current is not None and current.blocks_new_code(now=now):
        return False
    return last_mailed_at is None or now >= last_mailed_at + EMAIL_MAIL_INTERVAL


@dataclass(frozen=True, slots=True)
class FactorTries:
    """A user's recent second-factor tries, of every method, counted before each code is checked
    and forgotten on a success: `FACTOR_TRY_LIMIT` within `FACTOR_TRY_WINDOW` lock the user out
    of second factors for `FACTOR_TRY_WINDOW`, right codes included."""

    tries: int
    window_started_at: datetime
    locked_until: datetime | None

    def locked(self, *, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


def reserve_factor_try(previous: FactorTries | None, *, now: datetime) -> FactorTries | None:
    """The count after one more try, or None when the user is locked out."""
    if previous is not None and previous.locked(now=now):
        return None
    if (
        previous is None
        or previous.locked_until is not None
        or now >= previous.window_started_at + FACTOR_TRY_WINDOW
    ):
        tries, started = 1, now
    else:
        tries, started = previous.tries + 1, previous.window_started_at
    locked_until = now + FACTOR_TRY_WINDOW if tries >= FACTOR_TRY_LIMIT else None
    return FactorTries(tries, started, locked_until)


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
