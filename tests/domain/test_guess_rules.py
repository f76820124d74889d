"""The wrong-password budgets without a store: when a try waits, for how long, and what counts as
the same account or the same client."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sessiond.domain.errors import InvalidInput, TooManyGuesses
from sessiond.domain.guesses import Counter, Scope, Tally, wait
from sessiond.domain.tenant import GuessLimits

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
LIMITS = GuessLimits(
    window=timedelta(minutes=15),
    account_failures=10,
    ip_failures=100,
    first_delay=timedelta(seconds=30),
)
TENANT = uuid.UUID(int=1)


def _wait(count: int, newest_ago: timedelta, scope: Scope = Scope.ACCOUNT) -> timedelta:
    limits = GuessLimits(first_delay=timedelta(seconds=30))
    return wait(Tally(count, NOW - newest_ago), scope=scope, limits=limits, now=NOW)


def test_tries_under_the_budget_never_wait() -> None:
    assert _wait(0, timedelta(0)) == timedelta(0)
    assert _wait(9, timedelta(0)) == timedelta(0)
    assert wait(Tally(0, None), scope=Scope.ACCOUNT, limits=LIMITS, now=NOW) == timedelta(0)
    assert _wait(99, timedelta(0), Scope.IP) == timedelta(0)


def test_the_delay_doubles_with_each_failure_past_the_budget_up_to_the_window() -> None:
    assert _wait(10, timedelta(0)) == timedelta(seconds=30)
    assert _wait(11, timedelta(0)) == timedelta(seconds=60)
    assert _wait(12, timedelta(seconds=100)) == timedelta(seconds=20)
    assert _wait(14, timedelta(0)) == timedelta(seconds=480)
    assert _wait(15, timedelta(0)) == timedelta(minutes=15)
    assert _wait(10_000, timedelta(0)) == timedelta(minutes=15)
    assert _wait(100, timedelta(0), Scope.IP) == timedelta(seconds=30)


def test_a_delay_that_has_passed_lets_the_try_through() -> None:
    assert _wait(10, timedelta(seconds=30)) == timedelta(0)
    assert _wait(11, timedelta(minutes=5)) == timedelta(0)


def test_the_answer_rounds_the_wait_up_to_whole_seconds() -> None:
    assert TooManyGuesses(timedelta(seconds=0.2)).retry_after == 1
    assert TooManyGuesses(timedelta(seconds=29.1)).retry_after == 30
    assert "30 seconds" in TooManyGuesses(timedelta(seconds=30)).message


def test_an_account_is_the_identifier_whatever_its_case_or_spaces() -> None:
    assert Counter.for_account(TENANT, " Alice@Example.com") == Counter.for_account(
        TENANT, "alice@example.com"
    )
    assert Counter.for_account(TENANT, "alice") != Counter.for_account(uuid.UUID(int=2), "alice")
    assert "alice" not in Counter.for_account(TENANT, "alice").key


def test_an_ipv6_client_counts_by_its_64_block_and_a_mapped_ipv4_as_ipv4() -> None:
    one = Counter.for_ip(TENANT, "2001:db8:1:2::1")
    assert one == Counter.for_ip(TENANT, "2001:db8:1:2:ffff::9")
    assert one != Counter.for_ip(TENANT, "2001:db8:1:3::1")
    assert Counter.for_ip(TENANT, "::ffff:192.0.2.1") == Counter.for_ip(TENANT, "192.0.2.1")
    assert Counter.for_ip(TENANT, "192.0.2.1") != Counter.for_ip(TENANT, "192.0.2.2")
    assert Counter.for_ip(TENANT, "not an address").scope is Scope.IP


@pytest.mark.parametrize(
    "bad",
    [
        {"account_failures": 0},
        {"ip_failures": -1},
        {"window": timedelta(0)},
        {"first_delay": timedelta(seconds=1.5)},
        {"window": timedelta(days=30_000)},
    ],
)
def test_budgets_out_of_range_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        GuessLimits(**bad)  # type: ignore[arg-type]
