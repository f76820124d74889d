from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sessiond.domain.errors import InvalidInput

DEFAULT_TENANT_SLUG = "default"
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


class LimitPolicy(StrEnum):
    DENY = "deny"
    EVICT_OLDEST = "evict_oldest"


@dataclass(frozen=True, slots=True)
class SessionSettings:
    max_lifetime: timedelta = timedelta(hours=24)
    inactivity_timeout: timedelta | None = None
    earliest_possible_extend: timedelta | None = None
    max_live_sessions: int | None = None
    limit_policy: LimitPolicy = LimitPolicy.EVICT_OLDEST
    ended_retention: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        if self.max_lifetime <= timedelta(0):
            raise InvalidInput(
                "the maximum session lifetime must be positive", field="max_lifetime"
            )
        if self.inactivity_timeout is not None and self.inactivity_timeout <= timedelta(0):
            raise InvalidInput(
                "the inactivity timeout must be positive or unset", field="inactivity_timeout"
            )
        if self.earliest_possible_extend is not None and self.earliest_possible_extend < timedelta(
            0
        ):
            raise InvalidInput(
                "the earliest-possible-extend window must not be negative",
                field="earliest_possible_extend",
            )
        if self.max_live_sessions is not None and self.max_live_sessions < 1:
            raise InvalidInput(
                "the live-session limit must be at least 1 or unset", field="max_live_sessions"
            )
        if self.ended_retention < timedelta(0):
            raise InvalidInput("the retention must not be negative", field="ended_retention")


@dataclass(frozen=True, slots=True)
class Tenant:
    id: uuid.UUID
    slug: str
    name: str
    public_key: str
    created_at: datetime
    updated_at: datetime
    settings: SessionSettings = field(default_factory=SessionSettings)


def check_slug(slug: str) -> str:
    if not _SLUG.match(slug):
        raise InvalidInput(
            f"tenant slug {slug[:80]!r} must be 1-64 lower-case letters, digits or inner dashes",
            field="slug",
        )
    return slug
