"""The token-check cache against real backends: a repeat check makes no round trip, and every
change that can make a session not live (or change what a check returns) reaches another node's
cache before that node answers again.

Two `Services` over one database stand for two processes: `node_a` (the `services` fixture) makes
changes, `node_b` caches. Tests call `node_b.feed.poll()` where a running node would poll on its
own every 30 ms, so each step is deterministic; the running loops are tested at the end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from sessiond.compose import open_services
from sessiond.domain.errors import NotLiveReason, SessionNotLive, TenantNotFound
from sessiond.domain.session import AAL, AuthMethod, EndReason
from sessiond.domain.tenant import LifetimeChange, LimitPolicy, SessionSettings, Tenant
from sessiond.domain.user import UserState
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.issuing import IssuedSession
from sessiond.services.sessions import Authenticated
from sessiond.services.sign_in import PasswordSignIn
from sessiond.services.users import NewUser, ProfileChange
from sessiond.settings import Settings
from tests.helpers.clock import Ticker
from tests.helpers.redis_server import RedisServer
from tests.helpers.tenants import tenant_with

PASSWORD = "correct horse battery"
CLIENT = Client(
    user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    ip="198.51.100.4",
)


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
async def node_b(settings: Settings, clock: FrozenClock, ticker: Ticker) -> AsyncIterator[Services]:
    other = await open_services(settings, clock=clock, monotonic=ticker)
    await other.feed.poll()
    try:
        yield other
    finally:
        await other.close()


async def sign_in(services: Services, tenant: Tenant, username: str = "alice") -> IssuedSession:
    result = await services.sign_ins.password(
        PasswordSignIn(tenant.id, identifier=username, password=PASSWORD, client=CLIENT)
    )
    assert result.issued is not None
    return result.issued


async def user_with_session(services: Services, tenant: Tenant) -> IssuedSession:
    await services.users.create(tenant.id, NewUser(username="alice", password=PASSWORD, name="A"))
    return await sign_in(services, tenant)


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    """Every SQL statement the node sends while the block runs."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(str(args[2]))

    engine = services.deps.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def check(node: Services, tenant: Tenant, token: str) -> Authenticated:
    await node.feed.poll()
    return await node.sessions.authenticate(tenant.id, token)


async def refused(node: Services, tenant: Tenant, token: str) -> NotLiveReason:
    with pytest.raises(SessionNotLive) as caught:
        await check(node, tenant, token)
    return caught.value.reason


async def test_a_repeat_check_makes_no_database_round_trip(
    services: Services, node_b: Services, tenant: Tenant
) -> None:
    issued = await user_with_session(services, tenant)
    first = await check(node_b, tenant, issued.token)
    await node_b.feed.poll()
    with statements(node_b) as sent:
        again = await node_b.sessions.authenticate(tenant.id, issued.token)
    assert sent == []
    assert again == first
    assert again.record.session.id == issued.record.session.id


Change = Callable[[Services, Tenant, IssuedSession], Awaitable[None]]


async def _sign_out(a: Services, t: Tenant, s: IssuedSession) -> None:
    await a.sessions.end(t.id, s.record.session.id, reason=EndReason.SIGNED_OUT, by=None)


async def _admin_revoke(a: Services, t: Tenant, s: IssuedSession) -> None:
    await a.sessions.end(t.id, s.record.session.id, reason=EndReason.ADMIN_REVOKED, by="admin")


async def _revoke_others(a: Services, t: Tenant, s: IssuedSession) -> None:
    keep = await sign_in(a, t)
    await a.sessions.end_for_user(
        t.id,
        s.record.session.user_id,
        reason=EndReason.REVOKED_OTHERS,
        by=None,
        keep=keep.record.session.id,
    )


async def _revoke_all(a: Services, t: Tenant, s: IssuedSession) -> None:
    await a.sessions.end_for_user(
        t.id, s.record.session.user_id, reason=EndReason.REVOKED_ALL, by=None
    )


async def _suspend(a: Services, t: Tenant, s: IssuedSession) -> None:
    await a.users.set_state(t.id, s.record.session.user_id, UserState.SUSPENDED, by="admin")


async def _delete_user(a: Services, t: Tenant, s: IssuedSession) -> None:
    await a.users.delete(t.id, s.record.session.user_id)


async def _change_password(a: Services, t: Tenant, s: IssuedSession) -> None:
    await a.users.change_password(
        t.id, s.record.session.user_id, "another long passphrase", end_sessions=True
    )


async def _evict(a: Services, t: Tenant, s: IssuedSession) -> None:
    await a.tenants.change_settings(
        t.id,
        lambda settings: replace(
            settings, max_live_sessions=1, limit_policy=LimitPolicy.EVICT_OLDEST
        ),
    )
    await sign_in(a, t)


async def _cap_lifetime(a: Services, t: Tenant, s: IssuedSession) -> None:
    await a.tenants.change_lifetimes(t.id, LifetimeChange(max_lifetime=timedelta(seconds=1)))


async def _delete_tenant(a: Services, t: Tenant, s: IssuedSession) -> None:
    await a.tenants.delete(t.id)


ENDINGS: dict[str, tuple[Change, set[NotLiveReason]]] = {
    "signed out": (_sign_out, {NotLiveReason.ENDED}),
    "revoked by an admin": (_admin_revoke, {NotLiveReason.ENDED}),
    "others revoked": (_revoke_others, {NotLiveReason.ENDED}),
    "all revoked": (_revoke_all, {NotLiveReason.ENDED}),
    "user suspended": (_suspend, {NotLiveReason.ENDED, NotLiveReason.USER_SUSPENDED}),
    "user deleted": (_delete_user, {NotLiveReason.UNKNOWN}),
    "password changed": (_change_password, {NotLiveReason.ENDED}),
    "evicted by the limit": (_evict, {NotLiveReason.ENDED}),
    "lifetime capped": (_cap_lifetime, {NotLiveReason.EXPIRED}),
}


@pytest.mark.parametrize("change", list(ENDINGS))
async def test_a_session_ended_through_one_node_is_refused_by_the_other_after_its_next_poll(
    services: Services, node_b: Services, tenant: Tenant, clock: FrozenClock, change: str
) -> None:
    issued = await user_with_session(services, tenant)
    bystander_user = await services.users.create(
        tenant.id, NewUser(username="bob", password=PASSWORD, name="B")
    )
    bystander = await sign_in(services, tenant, "bob")
    await check(node_b, tenant, issued.token)
    await check(node_b, tenant, bystander.token)
    make, reasons = ENDINGS[change]
    await make(services, tenant, issued)
    clock.advance(timedelta(seconds=2))  # past a capped lifetime; well inside every other one
    assert await refused(node_b, tenant, issued.token) in reasons
    if change != "lifetime capped":
        still = await check(node_b, tenant, bystander.token)
        assert still.record.user.id == bystander_user.id


async def test_a_deleted_tenant_is_refused_by_the_other_node(
    services: Services, node_b: Services, clock: FrozenClock
) -> None:
    tenant = await tenant_with(services, SessionSettings())
    issued = await user_with_session(services, tenant)
    await check(node_b, tenant, issued.token)
    await _delete_tenant(services, tenant, issued)
    await node_b.feed.poll()
    with pytest.raises(TenantNotFound):
        await node_b.sessions.authenticate(tenant.id, issued.token)


async def test_a_new_inactivity_timeout_applies_to_sessions_the_other_node_cached(
    services: Services, node_b: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    issued = await user_with_session(services, tenant)
    await check(node_b, tenant, issued.token)
    five_minutes = LifetimeChange(inactivity_timeout=timedelta(minutes=5))
    await services.tenants.change_lifetimes(tenant.id, five_minutes)
    clock.advance(timedelta(minutes=6))
    assert await refused(node_b, tenant, issued.token) is NotLiveReason.IDLE


async def test_what_a_check_returns_follows_extension_step_up_and_profile_changes(
    services: Services, node_b: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    issued = await user_with_session(services, tenant)
    before = await check(node_b, tenant, issued.token)
    clock.advance(timedelta(hours=1))
    extended = await services.sessions.extend(tenant.id, issued.record.session.id)
    assert (await check(node_b, tenant, issued.token)).record.session.expires_at == (
        extended.session.expires_at
    )
    assert extended.session.expires_at > before.record.session.expires_at

    async with services.deps.store.unit_of_work() as uow:
        totp = AuthMethod(method="totp", aal=AAL.AAL2, completed_at=clock.now())
        methods = (*before.record.session.methods, totp)
        await uow.sessions.raise_assurance(
            issued.record.session.id, aal=AAL.AAL2, methods=methods, at=clock.now()
        )
        await uow.commit()
    assert (await check(node_b, tenant, issued.token)).record.session.aal is AAL.AAL2

    await services.users.patch_profile(
        tenant.id,
        issued.record.session.user_id,
        lambda _: ProfileChange(username="alice", name="Alice Renamed"),
    )
    assert (await check(node_b, tenant, issued.token)).record.user.name == "Alice Renamed"


async def test_expiry_is_judged_at_check_time_not_when_the_answer_was_cached(
    services: Services, node_b: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    issued = await user_with_session(services, tenant)
    await check(node_b, tenant, issued.token)
    clock.advance(tenant.settings.max_lifetime + timedelta(seconds=1))
    assert await refused(node_b, tenant, issued.token) is NotLiveReason.EXPIRED


async def test_a_session_kept_active_through_one_node_is_not_idle_on_the_other(
    services: Services, node_b: Services, clock: FrozenClock
) -> None:
    tenant = await tenant_with(services, SessionSettings(inactivity_timeout=timedelta(minutes=4)))
    issued = await user_with_session(services, tenant)
    await check(node_b, tenant, issued.token)
    for _ in range(3):  # node A sees the session every 3 minutes and touches it
        clock.advance(timedelta(minutes=3))
        await services.sessions.authenticate(tenant.id, issued.token)
    # B's copy says last active 9 minutes ago; the database says 0: B reads again, and accepts.
    answer = await check(node_b, tenant, issued.token)
    assert answer.record.session.last_active_at == clock.now()
    clock.advance(timedelta(minutes=5))
    assert await refused(node_b, tenant, issued.token) is NotLiveReason.IDLE


async def test_concurrent_checks_that_need_a_touch_write_it_once(
    services: Services, node_b: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    issued = await user_with_session(services, tenant)
    await check(node_b, tenant, issued.token)
    clock.advance(timedelta(minutes=2))
    await node_b.feed.poll()
    with statements(node_b) as sent:
        answers = await asyncio.gather(
            *(node_b.sessions.authenticate(tenant.id, issued.token) for _ in range(20))
        )
    assert {a.record.session.last_active_at for a in answers} <= {
        clock.now(),
        clock.now() - timedelta(minutes=2),
    }
    assert sum(s.lstrip().upper().startswith("UPDATE SESSIONS") for s in sent) == 1
    again = await check(node_b, tenant, issued.token)
    assert again.record.session.last_active_at == clock.now()


async def test_a_running_node_refuses_a_revoked_session_within_100_ms(
    services: Services, settings: Settings, clock: FrozenClock, tenant: Tenant
) -> None:
    issued = await user_with_session(services, tenant)
    node_b = await open_services(settings, clock=clock)  # on the real monotonic clock
    try:
        await node_b.feed.start()
        cache = node_b.deps.token_cache

        async def cached() -> bool:
            await node_b.sessions.authenticate(tenant.id, issued.token)
            return len(cache) == 1

        deadline = time.monotonic() + 5
        while not await cached():
            assert time.monotonic() < deadline, "the running node never cached the answer"
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # several polls later, the cache is still believed
        hits = cache.hits
        await node_b.sessions.authenticate(tenant.id, issued.token)
        assert cache.hits == hits + 1
        await _sign_out(services, tenant, issued)
        revoked_at = time.monotonic()
        while True:
            try:
                await node_b.sessions.authenticate(tenant.id, issued.token)
            except SessionNotLive:
                break
            await asyncio.sleep(0.002)
        assert time.monotonic() - revoked_at < 0.1
    finally:
        await node_b.close()


async def test_a_node_that_cannot_poll_stops_believing_its_cache(
    services: Services, node_b: Services, tenant: Tenant, ticker: Ticker
) -> None:
    issued = await user_with_session(services, tenant)
    await check(node_b, tenant, issued.token)
    assert node_b.deps.token_cache.trusted
    ticker.now += 0.091  # no poll for longer than the cache may lag
    assert not node_b.deps.token_cache.trusted
    with statements(node_b) as sent:
        await node_b.sessions.authenticate(tenant.id, issued.token)
    assert sent, "an untrusted cache is not read: the check went to the database"


async def test_a_change_committed_late_with_an_earlier_number_is_still_applied(
    postgres_url: str, clock: FrozenClock
) -> None:
    """PostgreSQL hands out sequence numbers at insert, not at commit: a poll can see 11 before
    10 commits. The skipped number is asked for again until it arrives."""
    settings = Settings(database_url=postgres_url, password_time_cost=1, password_memory_cost=1024)
    node_a = await open_services(settings, clock=clock)
    node_b = await open_services(settings, clock=clock)
    try:
        tenant = await tenant_with(node_a, SessionSettings())
        first = await user_with_session(node_a, tenant)
        second = await sign_in(node_a, tenant)
        await node_b.feed.poll()
        for issued in (first, second):
            await check(node_b, tenant, issued.token)
        async with node_a.deps.store.unit_of_work() as slow:
            await slow.sessions.end(
                tenant.id,
                session_ids=[first.record.session.id],
                at=clock.now(),
                reason=EndReason.REVOKED,
                by=None,
            )  # numbered first, not yet committed
            await _sign_out(node_a, tenant, second)  # numbered next, committed now
            assert await refused(node_b, tenant, second.token) is NotLiveReason.ENDED
            await check(node_b, tenant, first.token)  # still live: its end has not committed
            await slow.commit()
        assert await refused(node_b, tenant, first.token) is NotLiveReason.ENDED
    finally:
        await node_a.close()
        await node_b.close()


# Redis: invalidations pushed between nodes, and what a node does while Redis is away.


async def _until(condition: Callable[[], bool], *, within: float) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > within:
            pytest.fail(f"not so within {within} s")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def test_over_redis_a_revoke_reaches_the_other_node_at_once_and_an_outage_is_survived(
    settings: Settings, clock: FrozenClock, redis_server: RedisServer
) -> None:
    with_redis = replace(settings, redis_url=redis_server.url)
    node_a = await open_services(with_redis, clock=clock)
    node_b = await open_services(with_redis, clock=clock)
    try:
        await node_a.feed.start()
        await node_b.feed.start()
        cache = node_b.deps.token_cache
        await _until(lambda: cache.trusted, within=5)
        tenant = await tenant_with(node_a, SessionSettings())
        first = await user_with_session(node_a, tenant)
        second = await sign_in(node_a, tenant)
        await node_b.sessions.authenticate(tenant.id, first.token)
        with statements(node_b) as sent:
            await node_b.sessions.authenticate(tenant.id, first.token)
        assert sent == []
        await _sign_out(node_a, tenant, first)
        # The log is read once a second with Redis; this arrives well before that.
        await _until(lambda: len(cache) == 0, within=0.1)
        with pytest.raises(SessionNotLive):
            await node_b.sessions.authenticate(tenant.id, first.token)

        redis_server.stop()
        await _until(lambda: not cache.trusted, within=5)
        await node_b.sessions.authenticate(tenant.id, second.token)  # from the database
        await _sign_out(node_a, tenant, second)  # published to no one
        with pytest.raises(SessionNotLive):
            await node_b.sessions.authenticate(tenant.id, second.token)

        redis_server.start()
        await _until(lambda: cache.trusted, within=10)
        third = await sign_in(node_a, tenant)
        await node_b.sessions.authenticate(tenant.id, third.token)
        assert len(cache) == 1
    finally:
        await node_a.close()
        await node_b.close()
