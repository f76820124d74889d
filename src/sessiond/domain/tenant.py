from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sessiond.domain.errors import InvalidInput

DEFAULT_TENANT_SLUG = "default"
MAX_COUNT = 2**31 - 1
MAX_DURATION = timedelta(days=24855)  # fits the 32-bit seconds columns
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


class Environment(StrEnum):
    """What a tenant is for, as the operator labels it; sessiond treats all alike."""

    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"


class LimitPolicy(StrEnum):
    DENY = "deny"
    EVICT_OLDEST = "evict_oldest"


@dataclass(frozen=True, slots=True)
class GuessLimits:
    """A tenant's budgets for wrong passwords, per account and per client IP in a moving window,
    and the first delay once one is spent (domain/guesses.py). Defaults follow OWASP ASVS 2.2.1."""

    window: timedelta = timedelta(minutes=15)
    account_failures: int = 10
    ip_failures: int = 100
    first_delay: timedelta = timedelta(seconds=30)

    def __post_init__(self) -> None:
        for name in ("account_failures", "ip_failures"):
            if not 1 <= getattr(self, name) <= MAX_COUNT:
                raise InvalidInput(f"{name} must be between 1 and {MAX_COUNT}", field=name)
        for name in ("window", "first_delay"):
            value: timedelta = getattr(self, name)
            if not timedelta(seconds=1) <= value <= MAX_DURATION or value % timedelta(seconds=1):
                raise InvalidInput(
                    f"{name} must be a whole number of seconds, from 1 to {MAX_DURATION.days} days",
                    field=name,
                )


@dataclass(frozen=True, slots=True)
class SessionSettings:
    max_lifetime: timedelta = timedelta(hours=24)
    inactivity_timeout: timedelta | None = None
    earliest_possible_extend: timedelta | None = None
    max_live_sessions: int | None = None
    limit_policy: LimitPolicy = LimitPolicy.EVICT_OLDEST
    ended_retention: timedelta = timedelta(days=30)
    guesses: GuessLimits = field(default_factory=GuessLimits)

    def __post_init__(self) -> None:
        _check_duration("max_lifetime", self.max_lifetime, allow_zero=False)
        if self.inactivity_timeout is not None:
            _check_duration("inactivity_timeout", self.inactivity_timeout, allow_zero=False)
        if self.earliest_possible_extend is not None:
            _check_duration("earliest_possible_extend", self.earliest_possible_extend)
        _check_duration("ended_retention", self.ended_retention)
        if self.max_live_sessions is not None and not 1 <= self.max_live_sessions <= MAX_COUNT:
            raise InvalidInput(
                f"the live-session limit must be between 1 and {MAX_COUNT}, or unset",
                field="max_live_sessions",
            )


def _check_duration(field: str, value: timedelta, *, allow_zero: bool = True) -> None:
    if value < timedelta(0) or (value == timedelta(0) and not allow_zero):
        raise InvalidInput(
            f"{field} must be {'positive' if not allow_zero else 'zero or more'}", field=field
        )
    if value > MAX_DURATION:
        raise InvalidInput(f"{field} must be at most {MAX_DURATION.days} days", field=field)
    if value % timedelta(seconds=1):
        raise InvalidInput(f"{field} must be a whole number of seconds", field=field)


@dataclass(frozen=True, slots=True)
class Tenant:
    id: uuid.UUID
    slug: str
    name: str
    public_key: str
    created_at: datetime
    updated_at: datetime
    settings: SessionSettings = field(default_factory=SessionSettings)
    environment: Environment = Environment.PRODUCTION


def check_slug(slug: str) -> str:
    if not _SLUG.fullmatch(slug):
        raise InvalidInput(
            f"tenant slug {slug[:80]!r} must be 1-64 lower-case letters, digits or inner dashes",
            field="slug",
        )
    return slug


def slug_from_name(name: str) -> str:
    """A slug for a tenant named `name`: its lower-case letters and digits, every other run of
    characters one dash ("tenant" when nothing is left)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-") or "tenant"


@dataclass(frozen=True, slots=True)
class LifetimeChange:
    """A change to a tenant's session lifetimes as switches and values; `None` leaves a part as
    it is. A maximum lifetime switched off is the longest one sessiond stores; an inactivity
    timeout switched off is none, and switching one on needs its value unless it has one."""

    max_lifetime_enabled: bool | None = None
    max_lifetime: timedelta | None = None
    inactivity_timeout_enabled: bool | None = None
    inactivity_timeout: timedelta | None = None

    def applied_to(self, settings: SessionSettings) -> SessionSettings:
        lifetime = settings.max_lifetime
        if self.max_lifetime_enabled is False:
            lifetime = MAX_DURATION
        elif self.max_lifetime is not None:
            lifetime = self.max_lifetime
        idle = settings.inactivity_timeout
        if self.inactivity_timeout_enabled is False:
            idle = None
        elif self.inactivity_timeout is not None:
            idle = self.inactivity_timeout
        elif self.inactivity_timeout_enabled and idle is None:
            raise InvalidInput(
                "give the inactivity timeout to turn it on", field="inactivity_timeout"
            )
        return replace(settings, max_lifetime=lifetime, inactivity_timeout=idle)
