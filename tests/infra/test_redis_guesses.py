"""The guess counters' script in Redis applies the rule of domain/guesses.py: driven through a long
run of tries next to the domain's own `wait` over the same hits, it answers the same every time."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from sessiond.domain.guesses import Counter, Hit, Tally, longest_wait
from sessiond.domain.ids import new_id
from sessiond.domain.tenant import GuessLimits
from sessiond.infra.redis_guesses import RedisGuessCounters
from tests.helpers.redis_server import RedisServer

LIMITS = GuessLimits(
    window=timedelta(seconds=60),
    account_failures=3,
    ip_failures=5,
    first_delay=timedelta(seconds=2),
)


def _tally(times: list[datetime], now: datetime) -> Tally:
    kept = [at for at in times if at >= now - LIMITS.window]
    return Tally(len(kept), max(kept, default=None))


async def test_the_script_waits_exactly_as_the_domain_rule_says(redis_server: RedisServer) -> None:
    counters = RedisGuessCounters.from_url(redis_server.url)
    tenant = uuid.uuid4()
    account, ip = Counter.for_account(tenant, "alice"), Counter.for_ip(tenant, "192.0.2.7")
    other_ip = Counter.for_ip(tenant, "198.51.100.9")
    kept: dict[Counter, list[datetime]] = {account: [], ip: [], other_ip: []}
    rng = random.Random(9)
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    answers = set()
    try:
        for _ in range(400):
            now += timedelta(microseconds=rng.randrange(0, 12_000_000))
            hits = [Hit(new_id(), account, now), Hit(new_id(), rng.choice([ip, other_ip]), now)]
            tallies = [_tally(kept[hit.counter], now) for hit in hits]
            expected = longest_wait(hits, tallies, limits=LIMITS, now=now)
            got = await counters.reserve(hits, limits=LIMITS, now=now)
            assert abs(got - expected) <= timedelta(microseconds=1), (tallies, now)
            if expected == timedelta(0):
                for hit in hits:
                    kept[hit.counter].append(now)
                if rng.random() < 0.1:  # now and then the right password: the account's again
                    await counters.forget(counters=[account])
                    kept[account].clear()
            answers.add("wait" if expected else "in")
    finally:
        await counters.close()
    assert answers == {"wait", "in"}
