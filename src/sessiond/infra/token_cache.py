"""A process's cache of token-check answers, and when it may be believed.

Entries are keyed by token digest and indexed by session, user and tenant, so an invalidation of
any scope drops exactly the entries it names. The cache never decides liveness: it holds what the
database said, and the caller evaluates expiry, idle timeout and suspension at check time.

An entry is believed only while the feed of invalidations into this process is known to be
current; otherwise `get` finds nothing and `put` keeps nothing, so every check reads the database:

- a polled feed (the invalidation log in the database) is current while the last poll that read
  the log completely started no more than `max_lag` seconds ago: anything committed before that
  poll started has been applied;
- a pushed feed (Redis pub/sub) is current while its subscription is up. When it goes down or
  comes back, everything cached is dropped, since what was said meanwhile was not heard.

A check reads the database, then puts what it read. An invalidation applied between the two would
be lost, so `ticket()` is taken before the read and `put` keeps the answer only if no invalidation
was applied since.

The feed runs on a thread of its own (`services/token_checks.py`), so every change to the cache
holds its lock.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from sessiond.domain.invalidation import Invalidation, Scope

V = TypeVar("V")
# A check believes a polled cache only if a poll that started at most this long ago has been
# applied. A revoke committed before that poll started is then applied; so a revoke that has
# returned is refused by every process within this bound (the promise is 100 ms).
MAX_LAG = 0.09


class Feed(StrEnum):
    POLLED = "polled"
    PUSHED = "pushed"


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose answer an entry is: what invalidations of each scope are matched against. A token
    check's answer belongs to a session, its user and their tenant; a tenant's settings to the
    tenant alone."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None


@dataclass(slots=True)
class _Entry(Generic[V]):
    value: V
    owner: Owner


class TokenCache(Generic[V]):
    def __init__(
        self,
        *,
        capacity: int,
        feed: Feed,
        max_lag: float = MAX_LAG,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = capacity
        self._feed = feed
        self._max_lag = max_lag
        self._monotonic = monotonic
        self._entries: OrderedDict[str, _Entry[V]] = OrderedDict()
        self._by_scope: dict[Scope, dict[uuid.UUID, set[str]]] = {s: {} for s in Scope}
        self._generation = 0
        self._fresh_as_of: float | None = None
        self._pushed = False
        self._lock = threading.Lock()
        self.hits = self.misses = self.unbelieved = 0  # lookups, for operators

    @property
    def feed(self) -> Feed:
        return self._feed

    @property
    def trusted(self) -> bool:
        if self._capacity <= 0:
            return False
        if self._feed is Feed.PUSHED:
            return self._pushed
        fresh = self._fresh_as_of
        return fresh is not None and self._monotonic() - fresh <= self._max_lag

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> V | None:
        if not self.trusted:
            self.unbelieved += 1
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self.hits += 1
            self._entries.move_to_end(key)
            return entry.value

    def ticket(self) -> int:
        return self._generation

    def put(self, key: str, value: V, *, owner: Owner, ticket: int) -> None:
        with self._lock:
            if ticket != self._generation or not self.trusted:
                return
            self._drop(key)
            self._entries[key] = _Entry(value, owner)
            for scope, target in self._targets(owner):
                self._by_scope[scope].setdefault(target, set()).add(key)
            while len(self._entries) > self._capacity:
                self._drop(next(iter(self._entries)))

    def refresh(self, key: str, value: V) -> None:
        """Replaces the value of an entry still held (a touch moved its last-active time)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry.value = value

    def discard(self, key: str) -> None:
        with self._lock:
            self._drop(key)

    def apply(self, invalidations: Iterable[Invalidation]) -> None:
        with self._lock:
            for invalidation in invalidations:
                for key in list(self._by_scope[invalidation.scope].get(invalidation.target, ())):
                    self._drop(key)
            self._generation += 1

    def clear(self) -> None:
        with self._lock:
            self._clear()

    def polled(self, *, started: float) -> None:
        """A poll that started at `started` (this cache's monotonic clock) read the whole log."""
        with self._lock:
            if self._fresh_as_of is None or started > self._fresh_as_of:
                self._fresh_as_of = started

    def push_up(self) -> None:
        with self._lock:
            self._clear()
            self._pushed = True

    def push_down(self) -> None:
        with self._lock:
            self._pushed = False
            self._clear()

    def _clear(self) -> None:
        self._entries.clear()
        for index in self._by_scope.values():
            index.clear()
        self._generation += 1

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for scope, target in self._targets(entry.owner):
            keys = self._by_scope[scope].get(target)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_scope[scope][target]

    @staticmethod
    def _targets(owner: Owner) -> list[tuple[Scope, uuid.UUID]]:
        targets = [(Scope.TENANT, owner.tenant_id)]
        if owner.user_id is not None:
            targets.append((Scope.USER, owner.user_id))
        if owner.session_id is not None:
            targets.append((Scope.SESSION, owner.session_id))
        return targets
