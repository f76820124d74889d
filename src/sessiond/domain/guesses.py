"""Throttling of password guesses: how many wrong passwords an account and a client IP may take
before each further try waits, and for how long.

Every password check first reserves a *hit* on two counters, the account's (keyed by the identifier
typed, so unknown accounts count exactly like known ones) and the client IP's. A wrong password
keeps its hits; a right one clears the account's counter and takes back its IP hit. A check is
refused, and reserves nothing, while either counter is past its budget in the window and its
delay since the newest hit has not passed: the first delay once the budget is spent, doubling
with each further failure, never longer than the window. So the owner of an account under attack
gets in with the right password after the delay, and nobody is locked out for good.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sessiond.domain.tenant import GuessLimits


class Scope(StrEnum):
    ACCOUNT = "account"
    IP = "ip"


@dataclass(frozen=True, slots=True)
class Counter:
    tenant_id: uuid.UUID
    scope: Scope
    key: str  # a digest: neither store holds the identifier or the address in clear

    @classmethod
    def for_account(cls, tenant_id: uuid.UUID, identifier: str) -> Counter:
        return cls(tenant_id, Scope.ACCOUNT, _digest(identifier.strip().casefold()))

    @classmethod
    def for_ip(cls, tenant_id: uuid.UUID, ip: str) -> Counter:
        """An IPv6 client counts by its /64: one host usually holds the whole prefix."""
        return cls(tenant_id, Scope.IP, _digest(_ip_block(ip)))


@dataclass(frozen=True, slots=True)
class Hit:
    id: uuid.UUID
    counter: Counter
    at: datetime


@dataclass(frozen=True, slots=True)
class Tally:
    """A counter's hits in the window before a new one: how many, and when the newest came."""

    count: int
    newest: datetime | None


def budget(scope: Scope, limits: GuessLimits) -> int:
    """How many failures a counter of `scope` takes in the window before tries wait."""
    return limits.account_failures if scope is Scope.ACCOUNT else limits.ip_failures


def wait(tally: Tally, *, scope: Scope, limits: GuessLimits, now: datetime) -> timedelta:
    """How long a new try on a counter of `scope` must wait; zero when it may go ahead.
    (infra/redis_guesses.py applies the same rule inside Redis; a test holds the two together.)"""
    if tally.count < budget(scope, limits) or tally.newest is None:
        return timedelta(0)
    doublings = min(tally.count - budget(scope, limits), 64)
    seconds = min(limits.first_delay.total_seconds() * 2**doublings, limits.window.total_seconds())
    return max(tally.newest + timedelta(seconds=seconds) - now, timedelta(0))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _ip_block(ip: str) -> str:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if not isinstance(address, ipaddress.IPv6Address):
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((int(address), 64), strict=False))


def longest_wait(
    hits: Sequence[Hit], tallies: Sequence[Tally], *, limits: GuessLimits, now: datetime
) -> timedelta:
    """The wait of a check holding `hits`, whose counters stood at `tallies` before them."""
    return max(
        (
            wait(tally, scope=hit.counter.scope, limits=limits, now=now)
            for hit, tally in zip(hits, tallies, strict=True)
        ),
        default=timedelta(0),
    )
