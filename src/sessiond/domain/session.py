"""The session and the rules about it: liveness, touching, extending and the per-user limit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sessiond.domain.errors import NotLiveReason
from sessiond.domain.tenant import LimitPolicy, SessionSettings

TOUCH_INTERVAL = timedelta(minutes=1)


class AAL(StrEnum):
    AAL0 = "aal0"
    AAL1 = "aal1"
    AAL2 = "aal2"
    AAL3 = "aal3"


class EndReason(StrEnum):
    SIGNED_OUT = "signed_out"
    REVOKED = "revoked"
    REVOKED_OTHERS = "revoked_others"
    REVOKED_ALL = "revoked_all"
    ADMIN_REVOKED = "admin_revoked"
    EVICTED = "evicted"
    USER_SUSPENDED = "user_suspended"
    USER_DELETED = "user_deleted"
    PASSWORD_CHANGED = "password_changed"


@dataclass(frozen=True, slots=True)
class AuthMethod:
    method: str
    aal: AAL
    completed_at: datetime
    provider: str = ""


@dataclass(frozen=True, slots=True)
class Session:
    id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    token_digest: str = field(repr=False)
    device_id: uuid.UUID | None
    created_at: datetime
    authenticated_at: datetime
    issued_at: datetime
    expires_at: datetime
    last_active_at: datetime
    updated_at: datetime
    aal: AAL = AAL.AAL1
    methods: tuple[AuthMethod, ...] = ()
    host: str | None = None
    sign_in_attempt_id: uuid.UUID | None = None
    sign_up_attempt_id: uuid.UUID | None = None
    ended_at: datetime | None = None
    end_reason: EndReason | None = None
    ended_by: str | None = None

    def not_live_reason(
        self, *, now: datetime, settings: SessionSettings, user_active: bool = True
    ) -> NotLiveReason | None:
        if self.ended_at is not None:
            return NotLiveReason.ENDED
        if now >= self.expires_at:
            return NotLiveReason.EXPIRED
        idle = settings.inactivity_timeout
        if idle is not None and now >= self.last_active_at + idle:
            return NotLiveReason.IDLE
        if not user_active:
            return NotLiveReason.USER_SUSPENDED
        return None

    def is_live(
        self, *, now: datetime, settings: SessionSettings, user_active: bool = True
    ) -> bool:
        return self.not_live_reason(now=now, settings=settings, user_active=user_active) is None

    def needs_touch(self, *, now: datetime, settings: SessionSettings) -> bool:
        return now - self.last_active_at >= touch_interval(settings)

    def may_extend(self, *, now: datetime, settings: SessionSettings) -> bool:
        """Kratos: a session extends only once `expires_at - earliest_possible_extend < now`."""
        window = settings.earliest_possible_extend
        return window is None or self.expires_at - window < now

    def extended(self, *, now: datetime, settings: SessionSettings) -> Session:
        return replace(self, expires_at=now + settings.max_lifetime, updated_at=now)

    def ended(self, *, now: datetime, reason: EndReason, by: str | None) -> Session:
        return replace(self, ended_at=now, end_reason=reason, ended_by=by, updated_at=now)


def touch_interval(settings: SessionSettings) -> timedelta:
    """`last_active_at` is written at most this often: once a minute, or twice per inactivity
    timeout when that is shorter, so a session in steady use never goes idle between writes."""
    idle = settings.inactivity_timeout
    return TOUCH_INTERVAL if idle is None else min(TOUCH_INTERVAL, idle / 2)


def live_idle_cutoff(*, now: datetime, settings: SessionSettings) -> datetime | None:
    """Sessions last active before this instant are idle; None when there is no timeout."""
    idle = settings.inactivity_timeout
    return None if idle is None else now - idle


def sessions_to_evict(
    live_oldest_first: Sequence[Session], *, settings: SessionSettings
) -> Sequence[Session] | None:
    """Which live sessions must end so that one more fits under the per-user limit.

    Returns an empty sequence when nothing needs to end, and None when the policy is `deny` and the
    user is at the limit (so the new session must be refused).
    """
    limit = settings.max_live_sessions
    if limit is None or len(live_oldest_first) < limit:
        return ()
    if settings.limit_policy is LimitPolicy.DENY:
        return None
    excess = len(live_oldest_first) - limit + 1
    return live_oldest_first[:excess]


def expiry_for_new_session(*, now: datetime, settings: SessionSettings) -> datetime:
    return now + settings.max_lifetime
