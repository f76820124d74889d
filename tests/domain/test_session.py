"""The session rules, without a database: liveness, touching, extending and the per-user limit."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sessiond.domain.errors import NotLiveReason
from sessiond.domain.session import (
    AAL,
    TOUCH_INTERVAL,
    AuthMethod,
    EndReason,
    Session,
    expiry_for_new_session,
    live_idle_cutoff,
    sessions_to_evict,
    touch_interval,
)
from sessiond.domain.tenant import LimitPolicy, SessionSettings

NOW = datetime(2026, 7, 31, 10, 11, 12, 123456, tzinfo=UTC)
TICK = timedelta(microseconds=1)
IDLE = timedelta(minutes=30)
WITH_IDLE = SessionSettings(inactivity_timeout=IDLE)


def make_session(**changes: Any) -> Session:
    session = Session(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        token_digest="0" * 64,
        device_id=uuid.uuid4(),
        created_at=NOW,
        authenticated_at=NOW,
        issued_at=NOW,
        expires_at=NOW + timedelta(hours=24),
        last_active_at=NOW,
        updated_at=NOW,
        methods=(AuthMethod("password", AAL.AAL1, NOW),),
    )
    return replace(session, **changes)


def test_a_fresh_session_is_live() -> None:
    session = make_session()
    assert session.not_live_reason(now=NOW, settings=WITH_IDLE) is None
    assert session.is_live(now=NOW, settings=WITH_IDLE)


def test_an_ended_session_is_not_live() -> None:
    session = make_session().ended(now=NOW, reason=EndReason.SIGNED_OUT, by="user")
    assert session.not_live_reason(now=NOW, settings=WITH_IDLE) is NotLiveReason.ENDED
    assert not session.is_live(now=NOW, settings=WITH_IDLE)


def test_expiry_starts_exactly_at_expires_at() -> None:
    session = make_session()
    settings = SessionSettings()
    assert session.not_live_reason(now=session.expires_at - TICK, settings=settings) is None
    assert session.not_live_reason(now=session.expires_at, settings=settings) is (
        NotLiveReason.EXPIRED
    )


def test_idleness_starts_exactly_one_timeout_after_last_activity() -> None:
    session = make_session(last_active_at=NOW)
    assert session.not_live_reason(now=NOW + IDLE - TICK, settings=WITH_IDLE) is None
    assert session.not_live_reason(now=NOW + IDLE, settings=WITH_IDLE) is NotLiveReason.IDLE


def test_without_an_inactivity_timeout_a_session_is_never_idle() -> None:
    session = make_session(expires_at=NOW + timedelta(days=400))
    later = NOW + timedelta(days=365)
    assert session.not_live_reason(now=later, settings=SessionSettings()) is None


def test_a_suspended_user_makes_the_session_not_live() -> None:
    session = make_session()
    reason = session.not_live_reason(now=NOW, settings=WITH_IDLE, user_active=False)
    assert reason is NotLiveReason.USER_SUSPENDED
    assert not session.is_live(now=NOW, settings=WITH_IDLE, user_active=False)


def test_reason_precedence_is_ended_expired_idle_suspended() -> None:
    late = NOW + timedelta(days=2)
    everything = make_session().ended(now=NOW, reason=EndReason.REVOKED, by=None)
    assert everything.not_live_reason(now=late, settings=WITH_IDLE, user_active=False) is (
        NotLiveReason.ENDED
    )
    expired_idle_suspended = make_session()
    assert expired_idle_suspended.not_live_reason(
        now=late, settings=WITH_IDLE, user_active=False
    ) is (NotLiveReason.EXPIRED)
    idle_suspended = make_session()
    assert idle_suspended.not_live_reason(
        now=NOW + IDLE, settings=WITH_IDLE, user_active=False
    ) is (NotLiveReason.IDLE)


def test_touch_is_needed_once_a_minute_has_passed() -> None:
    session = make_session(last_active_at=NOW)
    plain = SessionSettings()
    assert not session.needs_touch(now=NOW, settings=plain)
    assert not session.needs_touch(now=NOW + timedelta(seconds=30), settings=plain)
    assert not session.needs_touch(now=NOW + TOUCH_INTERVAL - TICK, settings=plain)
    assert session.needs_touch(now=NOW + TOUCH_INTERVAL, settings=plain)
    assert session.needs_touch(now=NOW + timedelta(seconds=61), settings=plain)


def test_a_short_inactivity_timeout_touches_twice_per_timeout() -> None:
    settings = SessionSettings(inactivity_timeout=timedelta(seconds=30))
    assert touch_interval(settings) == timedelta(seconds=15)
    assert touch_interval(SessionSettings(inactivity_timeout=timedelta(hours=1))) == TOUCH_INTERVAL
    session = make_session(last_active_at=NOW)
    assert not session.needs_touch(now=NOW + timedelta(seconds=14), settings=settings)
    assert session.needs_touch(now=NOW + timedelta(seconds=15), settings=settings)


def test_without_a_window_a_session_may_always_extend() -> None:
    session = make_session()
    assert session.may_extend(now=NOW, settings=SessionSettings())


def test_with_a_window_a_session_extends_only_inside_it() -> None:
    settings = SessionSettings(earliest_possible_extend=timedelta(hours=1))
    session = make_session(expires_at=NOW + timedelta(hours=24))
    window_opens = session.expires_at - timedelta(hours=1)
    assert not session.may_extend(now=NOW, settings=settings)
    assert not session.may_extend(now=window_opens, settings=settings)
    assert session.may_extend(now=window_opens + TICK, settings=settings)


def test_a_zero_window_extends_only_after_expiry() -> None:
    settings = SessionSettings(earliest_possible_extend=timedelta(0))
    session = make_session()
    assert not session.may_extend(now=session.expires_at, settings=settings)
    assert session.may_extend(now=session.expires_at + TICK, settings=settings)


def test_extended_moves_expiry_to_now_plus_lifetime_and_nothing_else() -> None:
    settings = SessionSettings(max_lifetime=timedelta(hours=8))
    session = make_session()
    later = NOW + timedelta(hours=3)
    extended = session.extended(now=later, settings=settings)
    assert extended.expires_at == later + timedelta(hours=8)
    assert extended.updated_at == later
    assert replace(extended, expires_at=session.expires_at, updated_at=NOW) == session


def test_ended_records_when_why_and_who() -> None:
    session = make_session()
    later = NOW + timedelta(minutes=5)
    ended = session.ended(now=later, reason=EndReason.ADMIN_REVOKED, by="admin:root")
    assert (ended.ended_at, ended.end_reason, ended.ended_by) == (
        later,
        EndReason.ADMIN_REVOKED,
        "admin:root",
    )
    assert ended.updated_at == later
    assert session.ended_at is None


def test_live_idle_cutoff() -> None:
    assert live_idle_cutoff(now=NOW, settings=SessionSettings()) is None
    assert live_idle_cutoff(now=NOW, settings=WITH_IDLE) == NOW - IDLE


def test_expiry_for_new_session() -> None:
    settings = SessionSettings(max_lifetime=timedelta(days=3))
    assert expiry_for_new_session(now=NOW, settings=settings) == NOW + timedelta(days=3)


def _live(count: int) -> list[Session]:
    return [make_session(created_at=NOW + timedelta(seconds=i)) for i in range(count)]


@pytest.mark.parametrize("count", [0, 1, 50])
def test_no_limit_evicts_nothing(count: int) -> None:
    for policy in LimitPolicy:
        settings = SessionSettings(max_live_sessions=None, limit_policy=policy)
        assert sessions_to_evict(_live(count), settings=settings) == ()


@pytest.mark.parametrize("policy", list(LimitPolicy))
def test_below_the_limit_nothing_is_evicted(policy: LimitPolicy) -> None:
    settings = SessionSettings(max_live_sessions=3, limit_policy=policy)
    assert sessions_to_evict(_live(2), settings=settings) == ()
    assert sessions_to_evict(_live(0), settings=settings) == ()


@pytest.mark.parametrize("count", [2, 3])
def test_deny_refuses_at_and_over_the_limit(count: int) -> None:
    settings = SessionSettings(max_live_sessions=2, limit_policy=LimitPolicy.DENY)
    assert sessions_to_evict(_live(count), settings=settings) is None


def test_evict_oldest_at_the_limit_ends_the_oldest_one() -> None:
    settings = SessionSettings(max_live_sessions=2, limit_policy=LimitPolicy.EVICT_OLDEST)
    live = _live(2)
    assert list(sessions_to_evict(live, settings=settings) or []) == [live[0]]


def test_evict_oldest_over_the_limit_ends_enough_to_make_room_for_one() -> None:
    settings = SessionSettings(max_live_sessions=2, limit_policy=LimitPolicy.EVICT_OLDEST)
    live = _live(4)
    assert list(sessions_to_evict(live, settings=settings) or []) == live[:3]


def test_limit_of_one_with_evict_replaces_the_only_session() -> None:
    settings = SessionSettings(max_live_sessions=1, limit_policy=LimitPolicy.EVICT_OLDEST)
    live = _live(1)
    assert list(sessions_to_evict(live, settings=settings) or []) == live
