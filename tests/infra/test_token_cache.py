"""The token cache: what each invalidation drops, when the cache may be believed, and the race
between a database read and an invalidation."""

from __future__ import annotations

import uuid

import pytest

from sessiond.domain.invalidation import Invalidation, Scope
from sessiond.infra.token_cache import Feed, Owner, TokenCache


class Ticker:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def owner(*, user: uuid.UUID | None = None, tenant: uuid.UUID | None = None) -> Owner:
    return Owner(tenant or uuid.uuid4(), user_id=user or uuid.uuid4(), session_id=uuid.uuid4())


def polled(ticker: Ticker, capacity: int = 10) -> TokenCache[str]:
    cache: TokenCache[str] = TokenCache(
        capacity=capacity, feed=Feed.POLLED, max_lag=0.075, monotonic=ticker
    )
    cache.polled(started=ticker.now)
    return cache


def test_a_polled_cache_is_believed_only_while_its_last_poll_is_recent() -> None:
    ticker = Ticker()
    cache: TokenCache[str] = TokenCache(
        capacity=10, feed=Feed.POLLED, max_lag=0.075, monotonic=ticker
    )
    cache.put("k", "v", owner=owner(), ticket=cache.ticket())
    assert cache.get("k") is None, "never polled: nothing is kept or believed"
    cache.polled(started=ticker.now)
    cache.put("k", "v", owner=owner(), ticket=cache.ticket())
    assert cache.get("k") == "v"
    ticker.now += 0.076
    assert not cache.trusted
    assert cache.get("k") is None
    cache.polled(started=ticker.now - 0.01)
    assert cache.get("k") == "v"


def test_a_pushed_cache_is_believed_only_while_subscribed_and_forgets_on_every_change() -> None:
    cache: TokenCache[str] = TokenCache(capacity=10, feed=Feed.PUSHED)
    assert not cache.trusted
    cache.push_up()
    cache.put("k", "v", owner=owner(), ticket=cache.ticket())
    assert cache.get("k") == "v"
    cache.push_down()
    assert cache.get("k") is None
    cache.push_up()
    assert cache.get("k") is None, "what was missed while down may have ended it"
    assert len(cache) == 0


@pytest.mark.parametrize("scope", list(Scope))
def test_each_scope_drops_exactly_the_entries_it_names(scope: Scope) -> None:
    cache = polled(Ticker())
    tenant, user = uuid.uuid4(), uuid.uuid4()
    mine = owner(user=user, tenant=tenant)
    sibling = owner(user=user, tenant=tenant)  # same user, another session
    neighbour = owner(tenant=tenant)  # same tenant, another user
    stranger = owner()
    for key, who in (
        ("mine", mine),
        ("sibling", sibling),
        ("neighbour", neighbour),
        ("x", stranger),
    ):
        cache.put(key, key, owner=who, ticket=cache.ticket())
    target = {Scope.SESSION: mine.session_id, Scope.USER: user, Scope.TENANT: tenant}[scope]
    cache.apply([Invalidation(scope, tenant, target)])
    kept = {k for k in ("mine", "sibling", "neighbour", "x") if cache.get(k) is not None}
    assert (
        kept
        == {
            Scope.SESSION: {"sibling", "neighbour", "x"},
            Scope.USER: {"neighbour", "x"},
            Scope.TENANT: {"x"},
        }[scope]
    )


def test_an_answer_read_before_an_invalidation_is_not_kept() -> None:
    cache = polled(Ticker())
    ticket = cache.ticket()  # a check starts reading the database
    cache.apply([Invalidation(Scope.SESSION, uuid.uuid4(), uuid.uuid4())])  # meanwhile
    cache.put("k", "read before", owner=owner(), ticket=ticket)
    assert cache.get("k") is None
    cache.put("k", "read after", owner=owner(), ticket=cache.ticket())
    assert cache.get("k") == "read after"


def test_the_least_recently_used_entry_goes_first_and_its_indexes_with_it() -> None:
    cache = polled(Ticker(), capacity=2)
    first, second, third = owner(), owner(), owner()
    cache.put("a", "a", owner=first, ticket=cache.ticket())
    cache.put("b", "b", owner=second, ticket=cache.ticket())
    assert cache.get("a") == "a"  # b is now the oldest
    cache.put("c", "c", owner=third, ticket=cache.ticket())
    assert [k for k in "abc" if cache.get(k) is not None] == ["a", "c"]
    cache.put("b", "b again", owner=second, ticket=cache.ticket())
    cache.apply([Invalidation(Scope.USER, second.tenant_id, second.user_id)])
    assert cache.get("b") is None
    assert len(cache) == 1


def test_a_cache_of_no_capacity_keeps_nothing() -> None:
    cache = polled(Ticker(), capacity=0)
    cache.put("k", "v", owner=owner(), ticket=cache.ticket())
    assert cache.get("k") is None
    assert not cache.trusted


def test_refresh_and_discard_touch_only_the_entry_named() -> None:
    cache = polled(Ticker())
    cache.put("k", "v", owner=owner(), ticket=cache.ticket())
    cache.refresh("k", "touched")
    cache.refresh("absent", "nothing")
    assert cache.get("k") == "touched"
    assert cache.get("absent") is None
    cache.discard("k")
    assert cache.get("k") is None
