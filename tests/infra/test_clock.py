from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sessiond.infra.clock import Clock, FrozenClock, SystemClock, utc

AT = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)


def read(clock: Clock) -> datetime:
    return clock.now()


def test_system_clock_is_utc_aware() -> None:
    before = datetime.now(UTC)
    now = read(SystemClock())
    assert now.tzinfo is UTC
    assert before <= now <= datetime.now(UTC)


def test_frozen_clock_stands_still() -> None:
    clock = FrozenClock(AT)
    assert read(clock) == AT
    assert read(clock) == AT


def test_frozen_clock_advances_and_sets() -> None:
    clock = FrozenClock(AT)
    clock.advance(timedelta(minutes=5))
    assert clock.now() == AT + timedelta(minutes=5)
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2030, 1, 1, tzinfo=UTC)


def test_frozen_clock_normalises_to_utc() -> None:
    clock = FrozenClock(datetime(2024, 7, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))))
    assert clock.now() == AT
    assert clock.now().tzinfo is UTC
    clock.set(datetime(2024, 7, 1, 12, 0))
    assert clock.now().tzinfo is UTC


def test_utc_reads_naive_as_utc() -> None:
    assert utc(datetime(2024, 7, 1, 12, 0)) == AT
    assert utc(datetime(2024, 7, 1, 12, 0)).tzinfo is UTC


def test_utc_converts_aware() -> None:
    converted = utc(datetime(2024, 7, 1, 7, 0, tzinfo=timezone(timedelta(hours=-5))))
    assert converted == AT
    assert converted.tzinfo is UTC
    assert converted.hour == 12
