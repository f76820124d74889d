"""Sessions once issued: authenticate, touch, end, extend, the per-user limit, listing and purge."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from sessiond.domain.errors import (
    NotLiveReason,
    SessionLimitReached,
    SessionNotFound,
    SessionNotLive,
)
from sessiond.domain.listing import (
    OffsetPage,
    SessionPage,
    SessionQuery,
    SessionRecord,
    SessionState,
    SortField,
    SortKey,
)
from sessiond.domain.session import EndReason
from sessiond.domain.tenant import LimitPolicy, SessionSettings, Tenant
from sessiond.domain.user import User, UserState
from sessiond.infra.clock import FrozenClock
from sessiond.infra.totp import backup_code_digest
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.issuing import IssuedSession
from sessiond.services.sign_in import PasswordSignIn
from sessiond.services.users import NewUser
from sessiond.store.tables import devices, metadata
from tests.helpers.clock import START
from tests.helpers.tenants import tenant_with, unique_slug

PASSWORD = "correct horse battery"
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Rocket.Chat/3.9.14 Chrome/114.0.5735.289 Electron/25.9.1 Safari/537.36",
    "RC Mobile; android 13; v4.49.0 (54123)",
    "curl/8.5.0",
    "",
)


def client(user_agent: str = USER_AGENTS[0]) -> Client:
    return Client(user_agent=user_agent, ip="198.51.100.4", host="app.example.test")


async def add_user(services: Services, tenant: Tenant, username: str = "alice") -> User:
    new = NewUser(username=username, password=PASSWORD, name=username.title())
    return await services.users.create(tenant.id, new)


async def sign_in(
    services: Services, tenant: Tenant, username: str = "alice", user_agent: str = USER_AGENTS[0]
) -> IssuedSession:
    result = await services.sign_ins.password(
        PasswordSignIn(tenant.id, identifier=username, password=PASSWORD, client=client(user_agent))
    )
    assert result.issued is not None
    return result.issued


async def not_live_reason(services: Services, tenant: Tenant, token: str) -> NotLiveReason:
    with pytest.raises(SessionNotLive) as caught:
        await services.sessions.authenticate(tenant.id, token)
    return caught.value.reason


async def live_ids(services: Services, tenant: Tenant, user: User | None = None) -> set[uuid.UUID]:
    query = SessionQuery(tenant.id, user_id=None if user is None else user.id)
    page = await services.sessions.list_offset(query, OffsetPage(limit=1000))
    assert page.total == len(page.items)
    return {record.session.id for record in page.items}


# Authenticate


async def test_a_live_token_authenticates_to_its_session_user_and_tenant(
    services: Services, tenant: Tenant
) -> None:
    user = await add_user(services, tenant)
    issued = await sign_in(services, tenant)

    found = await services.sessions.authenticate(tenant.id, issued.token)

    assert found.tenant.id == tenant.id
    assert found.record.session.id == issued.record.session.id
    assert found.record.user.id == user.id
    assert found.record.user.username == "alice"
    assert found.record.device is not None
    assert found.record.device.agent.browser_name == "Chrome"


async def _dump_database(services: Services) -> str:
    values: list[str] = []
    async with services.deps.store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in (await conn.execute(select(table))).all():
                values.extend(str(value) for value in row)
    return "\n".join(values)


async def test_raw_tokens_and_secrets_are_stored_nowhere(
    services: Services, tenant: Tenant
) -> None:
    created = await services.tenants.create(slug=unique_slug())
    secret_key = created.secret_key.raw
    user = await add_user(services, tenant)
    signed_in = await sign_in(services, tenant)
    signed_up = await services.sign_ups.sign_up_password(
        tenant.id, NewUser(username="bob", password="another password"), client=client()
    )
    backup_code = "k3x9p2m7"
    async with services.deps.store.unit_of_work() as uow:
        await uow.users.replace_backup_codes(
            tenant.id, user.id, [backup_code_digest(backup_code, salt=user.id.bytes)]
        )
        await uow.commit()

    dump = await _dump_database(services)

    for raw in (signed_in.token, signed_up.issued.token, secret_key):
        assert len(raw) >= 40
        assert raw not in dump
        assert hashlib.sha256(raw.encode()).hexdigest() in dump
    for secret in (PASSWORD, "another password", backup_code):
        assert secret not in dump
    assert backup_code_digest(backup_code, salt=user.id.bytes) in dump


async def test_an_ended_session_never_authenticates(services: Services, tenant: Tenant) -> None:
    await add_user(services, tenant)
    issued = await sign_in(services, tenant)

    assert await services.sessions.end(
        tenant.id, issued.record.session.id, reason=EndReason.SIGNED_OUT, by="user"
    )

    assert await not_live_reason(services, tenant, issued.token) is NotLiveReason.ENDED


async def test_an_expired_session_never_authenticates(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    await add_user(services, tenant)
    issued = await sign_in(services, tenant)
    clock.advance(timedelta(hours=24) - timedelta(microseconds=1))
    await services.sessions.authenticate(tenant.id, issued.token)

    clock.advance(timedelta(microseconds=1))

    assert await not_live_reason(services, tenant, issued.token) is NotLiveReason.EXPIRED
    clock.advance(timedelta(days=3))
    assert await not_live_reason(services, tenant, issued.token) is NotLiveReason.EXPIRED


async def test_an_idle_session_never_authenticates(services: Services, clock: FrozenClock) -> None:
    tenant = await tenant_with(services, SessionSettings(inactivity_timeout=timedelta(minutes=30)))
    await add_user(services, tenant)
    issued = await sign_in(services, tenant)

    clock.advance(timedelta(minutes=30))

    assert await not_live_reason(services, tenant, issued.token) is NotLiveReason.IDLE


async def test_a_short_inactivity_timeout_keeps_a_busy_session_live(
    services: Services, clock: FrozenClock
) -> None:
    tenant = await tenant_with(services, SessionSettings(inactivity_timeout=timedelta(seconds=30)))
    await add_user(services, tenant)
    issued = await sign_in(services, tenant)

    for _ in range(12):
        clock.advance(timedelta(seconds=10))
        await services.sessions.authenticate(tenant.id, issued.token)

    clock.advance(timedelta(seconds=31))
    with pytest.raises(SessionNotLive):
        await services.sessions.authenticate(tenant.id, issued.token)


async def test_activity_keeps_a_session_from_going_idle(
    services: Services, clock: FrozenClock
) -> None:
    tenant = await tenant_with(services, SessionSettings(inactivity_timeout=timedelta(minutes=30)))
    await add_user(services, tenant)
    issued = await sign_in(services, tenant)

    clock.advance(timedelta(minutes=20))
    await services.sessions.authenticate(tenant.id, issued.token)
    clock.advance(timedelta(minutes=25))
    await services.sessions.authenticate(tenant.id, issued.token)
    clock.advance(timedelta(minutes=30))

    assert await not_live_reason(services, tenant, issued.token) is NotLiveReason.IDLE


async def test_suspending_a_user_ends_its_sessions_for_good(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = await add_user(services, tenant)
    first = await sign_in(services, tenant)
    second = await sign_in(services, tenant)
    clock.advance(timedelta(minutes=3))

    await services.users.set_state(tenant.id, user.id, UserState.SUSPENDED, by="admin:root")

    for issued in (first, second):
        assert await not_live_reason(services, tenant, issued.token) is NotLiveReason.ENDED
        stored = (await services.sessions.get(tenant.id, issued.record.session.id)).session
        assert stored.end_reason is EndReason.USER_SUSPENDED
        assert stored.ended_by == "admin:root"
        assert stored.ended_at == START + timedelta(minutes=3)
    await services.users.set_state(tenant.id, user.id, UserState.ACTIVE, by="admin:root")
    for issued in (first, second):
        assert await not_live_reason(services, tenant, issued.token) is NotLiveReason.ENDED
    assert await live_ids(services, tenant) == set()
    fresh = await sign_in(services, tenant)
    assert (await services.sessions.authenticate(tenant.id, fresh.token)).record.user.is_active


async def test_a_session_of_a_suspended_user_never_authenticates(
    services: Services, tenant: Tenant
) -> None:
    """Even when the suspension was written without ending the sessions."""
    user = await add_user(services, tenant)
    issued = await sign_in(services, tenant)
    async with services.deps.store.unit_of_work() as uow:
        await uow.users.update(replace(user, state=UserState.SUSPENDED))
        await uow.commit()

    assert await not_live_reason(services, tenant, issued.token) is NotLiveReason.USER_SUSPENDED
    assert await live_ids(services, tenant) == set()


@pytest.mark.parametrize("token", ["", "x", "not-a-token-at-all-" * 10, "ory_st_abc"])
async def test_an_unknown_token_never_authenticates(
    services: Services, tenant: Tenant, token: str
) -> None:
    await add_user(services, tenant)
    await sign_in(services, tenant)

    assert await not_live_reason(services, tenant, token) is NotLiveReason.UNKNOWN


async def test_another_tenants_token_never_authenticates(
    services: Services, tenant: Tenant
) -> None:
    other = (await services.tenants.create(slug=unique_slug())).tenant
    await add_user(services, other)
    issued = await sign_in(services, other)

    assert await not_live_reason(services, tenant, issued.token) is NotLiveReason.UNKNOWN
    assert (await services.sessions.authenticate(other.id, issued.token)).tenant.id == other.id


# Touch


async def test_last_active_at_is_written_at_most_once_a_minute(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    await add_user(services, tenant)
    issued = await sign_in(services, tenant)
    session_id = issued.record.session.id

    async def stored_last_active() -> datetime:
        return (await services.sessions.get(tenant.id, session_id)).session.last_active_at

    found = await services.sessions.authenticate(tenant.id, issued.token)
    assert found.record.session.last_active_at == START
    assert await stored_last_active() == START

    clock.advance(timedelta(seconds=30))
    found = await services.sessions.authenticate(tenant.id, issued.token)
    assert found.record.session.last_active_at == START
    assert await stored_last_active() == START

    clock.advance(timedelta(seconds=31))
    found = await services.sessions.authenticate(tenant.id, issued.token)
    assert found.record.session.last_active_at == START + timedelta(seconds=61)
    assert await stored_last_active() == START + timedelta(seconds=61)

    clock.advance(timedelta(seconds=59))
    await services.sessions.authenticate(tenant.id, issued.token)
    assert await stored_last_active() == START + timedelta(seconds=61)


# End


async def test_ending_one_session_records_why_who_and_when(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    await add_user(services, tenant)
    issued = await sign_in(services, tenant)
    other = await sign_in(services, tenant)
    session_id = issued.record.session.id
    clock.advance(timedelta(minutes=5))

    assert await services.sessions.end(
        tenant.id, session_id, reason=EndReason.SIGNED_OUT, by="user:alice"
    )

    stored = (await services.sessions.get(tenant.id, session_id)).session
    assert stored.ended_at == START + timedelta(minutes=5)
    assert stored.end_reason is EndReason.SIGNED_OUT
    assert stored.ended_by == "user:alice"
    assert await live_ids(services, tenant) == {other.record.session.id}

    clock.advance(timedelta(minutes=5))
    assert not await services.sessions.end(
        tenant.id, session_id, reason=EndReason.ADMIN_REVOKED, by="admin"
    )
    again = (await services.sessions.get(tenant.id, session_id)).session
    assert (again.ended_at, again.end_reason, again.ended_by) == (
        START + timedelta(minutes=5),
        EndReason.SIGNED_OUT,
        "user:alice",
    )


async def test_ending_one_session_twice_at_once_ends_it_once(
    services: Services, tenant: Tenant
) -> None:
    await add_user(services, tenant)
    issued = await sign_in(services, tenant)
    session_id = issued.record.session.id
    reasons = [EndReason.SIGNED_OUT, EndReason.ADMIN_REVOKED, EndReason.REVOKED]

    results = await asyncio.gather(
        *(services.sessions.end(tenant.id, session_id, reason=r, by=r.value) for r in reasons)
    )

    assert sorted(results) == [False, False, True]
    stored = (await services.sessions.get(tenant.id, session_id)).session
    winner = reasons[results.index(True)]
    assert (stored.end_reason, stored.ended_by) == (winner, winner.value)


async def test_ending_a_session_of_another_user_is_refused(
    services: Services, tenant: Tenant
) -> None:
    alice = await add_user(services, tenant)
    bob = await add_user(services, tenant, "bob")
    issued = await sign_in(services, tenant, "alice")

    with pytest.raises(SessionNotFound):
        await services.sessions.end(
            tenant.id, issued.record.session.id, reason=EndReason.REVOKED, by="bob", user_id=bob.id
        )

    assert await live_ids(services, tenant, alice) == {issued.record.session.id}


async def test_ending_another_tenants_session_is_refused_and_changes_nothing(
    services: Services, tenant: Tenant
) -> None:
    other = (await services.tenants.create(slug=unique_slug())).tenant
    await add_user(services, other)
    issued = await sign_in(services, other)

    with pytest.raises(SessionNotFound):
        await services.sessions.end(
            tenant.id, issued.record.session.id, reason=EndReason.ADMIN_REVOKED, by="admin"
        )
    user = issued.record.user
    assert (
        await services.sessions.end_for_user(
            tenant.id, user.id, reason=EndReason.REVOKED_ALL, by="admin"
        )
        == 0
    )

    stored = (await services.sessions.get(other.id, issued.record.session.id)).session
    assert stored.ended_at is None
    assert (await services.sessions.authenticate(other.id, issued.token)).tenant.id == other.id


async def test_ending_an_unknown_session_is_refused(services: Services, tenant: Tenant) -> None:
    with pytest.raises(SessionNotFound, match="does not exist"):
        await services.sessions.end(tenant.id, uuid.uuid4(), reason=EndReason.REVOKED, by=None)


async def test_ending_the_others_keeps_the_current_session(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    alice = await add_user(services, tenant)
    await add_user(services, tenant, "bob")
    current, *others = [await sign_in(services, tenant) for _ in range(3)]
    bobs = await sign_in(services, tenant, "bob")
    clock.advance(timedelta(seconds=7))

    ended = await services.sessions.end_for_user(
        tenant.id,
        alice.id,
        reason=EndReason.REVOKED_OTHERS,
        by="user:alice",
        keep=current.record.session.id,
    )

    assert ended == 2
    assert await live_ids(services, tenant) == {
        current.record.session.id,
        bobs.record.session.id,
    }
    for issued in others:
        stored = (await services.sessions.get(tenant.id, issued.record.session.id)).session
        assert stored.end_reason is EndReason.REVOKED_OTHERS
        assert stored.ended_by == "user:alice"
        assert stored.ended_at == START + timedelta(seconds=7)
        assert await not_live_reason(services, tenant, issued.token) is NotLiveReason.ENDED
    assert (await services.sessions.authenticate(tenant.id, current.token)).record.user.id == (
        alice.id
    )


async def test_ending_all_of_a_users_sessions(services: Services, tenant: Tenant) -> None:
    alice = await add_user(services, tenant)
    await add_user(services, tenant, "bob")
    mine = [await sign_in(services, tenant) for _ in range(3)]
    bobs = await sign_in(services, tenant, "bob")
    already = mine[0].record.session.id
    await services.sessions.end(tenant.id, already, reason=EndReason.SIGNED_OUT, by="user")

    ended = await services.sessions.end_for_user(
        tenant.id, alice.id, reason=EndReason.REVOKED_ALL, by="admin:root"
    )

    assert ended == 2
    assert await live_ids(services, tenant) == {bobs.record.session.id}
    reasons = {
        issued.record.session.id: (
            await services.sessions.get(tenant.id, issued.record.session.id)
        ).session.end_reason
        for issued in mine
    }
    assert reasons[already] is EndReason.SIGNED_OUT
    assert sorted(r.value for i, r in reasons.items() if i != already and r is not None) == [
        "revoked_all",
        "revoked_all",
    ]
    assert (
        await services.sessions.end_for_user(
            tenant.id, alice.id, reason=EndReason.REVOKED_ALL, by="admin:root"
        )
        == 0
    )


# Extend


async def test_extend_without_a_window_restarts_the_lifetime(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    await add_user(services, tenant)
    issued = await sign_in(services, tenant)
    clock.advance(timedelta(hours=2))

    extended = await services.sessions.extend(tenant.id, issued.record.session.id)

    expected = START + timedelta(hours=2) + timedelta(hours=24)
    assert extended.session.expires_at == expected
    stored = (await services.sessions.get(tenant.id, issued.record.session.id)).session
    assert stored.expires_at == expected
    assert stored.updated_at == START + timedelta(hours=2)
    clock.set(START + timedelta(hours=25))
    assert (await services.sessions.authenticate(tenant.id, issued.token)).record.session.id == (
        issued.record.session.id
    )


async def test_extend_outside_the_window_is_a_silent_no_op_and_inside_it_extends(
    services: Services, clock: FrozenClock
) -> None:
    tenant = await tenant_with(
        services, SessionSettings(earliest_possible_extend=timedelta(hours=1))
    )
    await add_user(services, tenant)
    issued = await sign_in(services, tenant)
    session_id = issued.record.session.id
    clock.advance(timedelta(hours=2))

    unchanged = await services.sessions.extend(tenant.id, session_id)

    assert unchanged.session.expires_at == START + timedelta(hours=24)
    stored = (await services.sessions.get(tenant.id, session_id)).session
    assert (stored.expires_at, stored.updated_at) == (START + timedelta(hours=24), START)

    clock.set(START + timedelta(hours=23))
    await services.sessions.extend(tenant.id, session_id)
    stored = (await services.sessions.get(tenant.id, session_id)).session
    assert stored.expires_at == START + timedelta(hours=24)

    clock.set(START + timedelta(hours=23, minutes=30))
    extended = await services.sessions.extend(tenant.id, session_id)
    expected = START + timedelta(hours=23, minutes=30) + timedelta(hours=24)
    assert extended.session.expires_at == expected
    assert (await services.sessions.get(tenant.id, session_id)).session.expires_at == expected


async def test_extending_a_session_that_is_not_live_is_refused(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    await add_user(services, tenant)
    ended = await sign_in(services, tenant)
    expired = await sign_in(services, tenant)
    await services.sessions.end(
        tenant.id, ended.record.session.id, reason=EndReason.SIGNED_OUT, by=None
    )

    with pytest.raises(SessionNotFound):
        await services.sessions.extend(tenant.id, ended.record.session.id)
    clock.advance(timedelta(hours=24))
    with pytest.raises(SessionNotFound):
        await services.sessions.extend(tenant.id, expired.record.session.id)

    for issued in (ended, expired):
        stored = (await services.sessions.get(tenant.id, issued.record.session.id)).session
        assert stored.expires_at == START + timedelta(hours=24)


async def test_extending_another_tenants_session_is_refused(
    services: Services, tenant: Tenant
) -> None:
    other = (await services.tenants.create(slug=unique_slug())).tenant
    await add_user(services, other)
    issued = await sign_in(services, other)

    with pytest.raises(SessionNotFound):
        await services.sessions.extend(tenant.id, issued.record.session.id)


# Per-user limit


async def _failed_attempts(services: Services, tenant: Tenant) -> list[str | None]:
    async with services.deps.store.unit_of_work(write=False) as uow:
        attempts, _ = await uow.sign_ins.list_page(tenant.id, offset=0, limit=50)
    return [a.failure_reason for a in attempts if a.status.value == "failed"]


async def test_the_limit_with_policy_deny_refuses_one_more(
    services: Services, clock: FrozenClock
) -> None:
    settings = SessionSettings(max_live_sessions=2, limit_policy=LimitPolicy.DENY)
    tenant = await tenant_with(services, settings)
    await add_user(services, tenant)
    await add_user(services, tenant, "bob")
    first = await sign_in(services, tenant)
    second = await sign_in(services, tenant)

    with pytest.raises(SessionLimitReached, match="2 live sessions"):
        await sign_in(services, tenant)

    assert await _failed_attempts(services, tenant) == ["session_limit"]
    assert await live_ids(services, tenant) == {first.record.session.id, second.record.session.id}
    await sign_in(services, tenant, "bob")
    await services.sessions.end(
        tenant.id, first.record.session.id, reason=EndReason.SIGNED_OUT, by=None
    )
    third = await sign_in(services, tenant)
    assert third.record.session.id in await live_ids(services, tenant)


async def test_sessions_that_are_no_longer_live_do_not_count_toward_the_limit(
    services: Services, clock: FrozenClock
) -> None:
    settings = SessionSettings(
        max_live_sessions=1,
        limit_policy=LimitPolicy.DENY,
        inactivity_timeout=timedelta(minutes=30),
    )
    tenant = await tenant_with(services, settings)
    await add_user(services, tenant)
    await sign_in(services, tenant)
    clock.advance(timedelta(minutes=30))

    fresh = await sign_in(services, tenant)

    assert await live_ids(services, tenant) == {fresh.record.session.id}


async def test_the_limit_with_policy_evict_oldest_ends_the_oldest(
    services: Services, clock: FrozenClock
) -> None:
    settings = SessionSettings(max_live_sessions=2, limit_policy=LimitPolicy.EVICT_OLDEST)
    tenant = await tenant_with(services, settings)
    await add_user(services, tenant)
    oldest = await sign_in(services, tenant)
    clock.advance(timedelta(seconds=1))
    middle = await sign_in(services, tenant)
    clock.advance(timedelta(seconds=1))

    newest = await sign_in(services, tenant)

    assert await live_ids(services, tenant) == {middle.record.session.id, newest.record.session.id}
    evicted = (await services.sessions.get(tenant.id, oldest.record.session.id)).session
    assert evicted.end_reason is EndReason.EVICTED
    assert evicted.ended_by == "session-limit"
    assert evicted.ended_at == START + timedelta(seconds=2)
    assert await not_live_reason(services, tenant, oldest.token) is NotLiveReason.ENDED
    assert await _failed_attempts(services, tenant) == []


ROUNDS = 5
AT_ONCE = 5


@pytest.mark.parametrize("round_number", range(ROUNDS))
async def test_concurrent_sign_ins_under_deny_never_pass_the_limit(
    services: Services, round_number: int
) -> None:
    settings = SessionSettings(max_live_sessions=2, limit_policy=LimitPolicy.DENY)
    tenant = await tenant_with(services, settings)
    user = await add_user(services, tenant, f"racer{round_number}")
    await sign_in(services, tenant, user.username or "")

    results = await asyncio.gather(
        *(sign_in(services, tenant, user.username or "") for _ in range(AT_ONCE)),
        return_exceptions=True,
    )

    failures = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(f, SessionLimitReached) for f in failures), failures
    assert len(results) - len(failures) == 1
    assert len(await live_ids(services, tenant)) == 2
    assert await _failed_attempts(services, tenant) == ["session_limit"] * (AT_ONCE - 1)


@pytest.mark.parametrize("round_number", range(ROUNDS))
async def test_concurrent_sign_ins_under_evict_oldest_keep_exactly_the_limit(
    services: Services, round_number: int
) -> None:
    settings = SessionSettings(max_live_sessions=2, limit_policy=LimitPolicy.EVICT_OLDEST)
    tenant = await tenant_with(services, settings)
    user = await add_user(services, tenant, f"racer{round_number}")
    first = await sign_in(services, tenant, user.username or "")

    results = await asyncio.gather(
        *(sign_in(services, tenant, user.username or "") for _ in range(AT_ONCE)),
        return_exceptions=True,
    )

    issued = [r for r in results if isinstance(r, IssuedSession)]
    assert len(issued) == AT_ONCE, [r for r in results if isinstance(r, BaseException)]
    live = await live_ids(services, tenant)
    assert len(live) == 2
    assert first.record.session.id not in live
    everything = await services.sessions.list_offset(
        SessionQuery(tenant.id, state=SessionState.ENDED), OffsetPage(limit=100)
    )
    assert everything.total == AT_ONCE - 1
    assert {r.session.end_reason for r in everything.items} == {EndReason.EVICTED}


# Listing

SESSION_COUNT = 60


async def _populate(services: Services, tenant: Tenant, clock: FrozenClock) -> list[SessionRecord]:
    """60 sessions of four users on eight user agents; five at a time share one instant."""
    usernames = ("alice", "Bob", "carol", "Zed")
    for username in usernames:
        await add_user(services, tenant, username)
    for i in range(SESSION_COUNT):
        await sign_in(services, tenant, usernames[(i // 2) % 4], USER_AGENTS[i % 8])
        if i % 5 == 4:
            clock.advance(timedelta(seconds=1))
    page = await services.sessions.list_offset(
        SessionQuery(tenant.id, state=SessionState.ALL), OffsetPage(limit=1000)
    )
    assert page.total == SESSION_COUNT
    return list(page.items)


def _newest_first(records: list[SessionRecord]) -> list[uuid.UUID]:
    ordered = sorted(records, key=lambda r: (r.session.created_at, r.session.id), reverse=True)
    return [r.session.id for r in ordered]


def _ids(page: SessionPage) -> list[uuid.UUID]:
    return [record.session.id for record in page.items]


async def _walk(
    services: Services, query: SessionQuery, *, size: int, forward: bool, token: str | None
) -> list[SessionPage]:
    pages: list[SessionPage] = []
    while True:
        page = await services.sessions.list_keyset(query, size=size, token=token)
        pages.append(page)
        token = page.next_token if forward else page.prev_token
        if token is None:
            return pages
        assert len(pages) <= SESSION_COUNT


async def test_keyset_pages_walk_every_session_once_both_ways(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    records = await _populate(services, tenant, clock)
    for descending in (True, False):
        expected = _newest_first(records)
        if not descending:
            expected.reverse()
        query = SessionQuery(
            tenant.id,
            state=SessionState.ALL,
            sort=(SortKey(SortField.CREATED_AT, descending=descending),),
        )

        forward = await _walk(services, query, size=7, forward=True, token=None)

        assert [len(p.items) for p in forward] == [7] * 8 + [4]
        assert [session_id for p in forward for session_id in _ids(p)] == expected
        assert {p.total for p in forward} == {SESSION_COUNT}
        assert forward[0].prev_token is None
        assert all(p.prev_token is not None for p in forward[1:])
        assert all(p.next_token is not None for p in forward[:-1])

        backward = await _walk(services, query, size=7, forward=False, token=forward[-1].prev_token)

        assert [_ids(p) for p in reversed(backward)] == [_ids(p) for p in forward[:-1]]
        assert {p.total for p in backward} == {SESSION_COUNT}
        assert backward[-1].prev_token is None
        assert all(p.next_token is not None for p in backward)
        after_second = await services.sessions.list_keyset(
            query, size=7, token=backward[-2].next_token
        )
        assert _ids(after_second) == _ids(forward[2])


async def test_start_after_gives_strictly_older_sessions(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    records = await _populate(services, tenant, clock)
    instants = sorted({r.session.created_at for r in records})
    assert len(instants) == SESSION_COUNT // 5
    query = SessionQuery(tenant.id, state=SessionState.ALL)

    for pivot in (instants[0], instants[5], instants[-1]):
        page = await services.sessions.list_keyset(query, size=100, start_after=pivot)

        older = [r for r in records if r.session.created_at < pivot]
        assert _ids(page) == _newest_first(older)
        assert page.total == SESSION_COUNT
        assert page.next_token is None
    page = await services.sessions.list_keyset(query, size=10, start_after=instants[5])
    assert _ids(page) == _newest_first(records)[-25:-15]
    assert page.next_token is not None


async def test_state_and_user_filters(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    records = await _populate(services, tenant, clock)
    ended = {r.session.id for r in records[::6]}
    for session_id in ended:
        await services.sessions.end(tenant.id, session_id, reason=EndReason.REVOKED, by="admin")
    everyone = {r.session.id for r in records}

    async def listed(state: SessionState, user: User | None = None) -> set[uuid.UUID]:
        query = SessionQuery(tenant.id, state=state, user_id=None if user is None else user.id)
        page = await services.sessions.list_offset(query, OffsetPage(limit=1000))
        assert page.total == len(page.items)
        return set(_ids(page))

    assert await listed(SessionState.ALL) == everyone
    assert await listed(SessionState.ENDED) == ended
    assert await listed(SessionState.LIVE) == everyone - ended
    assert len(ended) == 10
    bob = next(r.user for r in records if r.user.username == "Bob")
    bobs = {r.session.id for r in records if r.user.id == bob.id}
    assert len(bobs) == 16
    assert await listed(SessionState.ALL, bob) == bobs
    assert await listed(SessionState.LIVE, bob) == bobs - ended
    assert await listed(SessionState.ENDED, bob) == bobs & ended


async def test_listed_state_agrees_with_authenticate(
    services: Services, clock: FrozenClock
) -> None:
    settings = SessionSettings(
        max_lifetime=timedelta(hours=2), inactivity_timeout=timedelta(minutes=30)
    )
    tenant = await tenant_with(services, settings)
    await add_user(services, tenant)
    suspended_user = await add_user(services, tenant, "bob")
    expired = await sign_in(services, tenant)
    clock.advance(timedelta(minutes=100))
    live = await sign_in(services, tenant)
    idle = await sign_in(services, tenant)
    ended = await sign_in(services, tenant)
    suspended = await sign_in(services, tenant, "bob")
    await services.sessions.end(
        tenant.id, ended.record.session.id, reason=EndReason.SIGNED_OUT, by=None
    )
    clock.advance(timedelta(minutes=25))
    await services.sessions.authenticate(tenant.id, live.token)
    await services.sessions.authenticate(tenant.id, suspended.token)
    async with services.deps.store.unit_of_work() as uow:
        await uow.users.update(replace(suspended_user, state=UserState.SUSPENDED))
        await uow.commit()
    clock.advance(timedelta(minutes=6))

    expected = [
        (expired, NotLiveReason.EXPIRED),
        (idle, NotLiveReason.IDLE),
        (ended, NotLiveReason.ENDED),
        (suspended, NotLiveReason.USER_SUSPENDED),
    ]
    for issued, reason in expected:
        assert await not_live_reason(services, tenant, issued.token) is reason
    assert (await services.sessions.authenticate(tenant.id, live.token)).record.session.id == (
        live.record.session.id
    )
    query = SessionQuery(tenant.id, state=SessionState.ENDED)
    ended_page = await services.sessions.list_offset(query, OffsetPage())
    assert set(_ids(ended_page)) == {issued.record.session.id for issued, _ in expected}
    assert await live_ids(services, tenant) == {live.record.session.id}


def _fields(record: SessionRecord, *, user_fields: bool) -> list[str]:
    agent = record.device.agent if record.device else None
    values = [
        agent and agent.browser_name,
        agent and agent.app_name,
        agent and agent.device_type,
        agent and agent.app_kind,
        agent and agent.os_name,
        record.session.id.hex,
        record.session.user_id.hex,
    ]
    if user_fields:
        values += [record.user.username, record.user.name]
    return [value for value in values if value]


FILTERS = (
    ("FIREFOX", False, 8),
    ("^(windows|ios)$", False, 23),
    ("rocket|CURL", False, 14),
    ("safari", False, 8),
    ("^mobile$", False, 15),
    ("^bob$", True, 16),
    ("^bob$", False, 0),
)


async def test_text_filter_is_a_case_insensitive_regex(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    records = await _populate(services, tenant, clock)
    for pattern, user_fields, expected_count in FILTERS:
        matching = [
            r
            for r in records
            if any(re.search(pattern, v, re.I) for v in _fields(r, user_fields=user_fields))
        ]
        query = SessionQuery(
            tenant.id, state=SessionState.ALL, text_filter=pattern, filter_user_fields=user_fields
        )

        page = await services.sessions.list_offset(query, OffsetPage(limit=100))

        assert _ids(page) == _newest_first(matching), pattern
        assert page.total == len(matching) == expected_count, pattern
    chrome = [r for r in records if (r.device and r.device.agent.browser_name) == "Chrome"]
    query = SessionQuery(tenant.id, state=SessionState.ALL, text_filter="^chrome$")
    pages = await _walk(services, query, size=3, forward=True, token=None)
    assert [i for p in pages for i in _ids(p)] == _newest_first(chrome)
    assert {p.total for p in pages} == {len(chrome)} == {8}


def _browser(record: SessionRecord) -> str:
    agent = record.device.agent if record.device else None
    return (agent and (agent.app_name or agent.browser_name)) or ""


def _os_name(record: SessionRecord) -> str:
    return (record.device and record.device.agent.os_name) or ""


def _username(record: SessionRecord) -> str:
    return record.user.username or ""


SORT_KEYS: dict[SortField, Callable[[SessionRecord], str]] = {
    SortField.BROWSER: _browser,
    SortField.OS_NAME: _os_name,
    SortField.USERNAME: _username,
}


async def test_offset_pages_sort_text_byte_wise_on_every_backend(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    records = await _populate(services, tenant, clock)
    by_recency = sorted(records, key=lambda r: (r.session.created_at, r.session.id), reverse=True)
    for field, key in SORT_KEYS.items():
        assert len({key(r) for r in records}) >= 4
        for descending in (False, True):
            expected = [
                r.session.id
                for r in sorted(by_recency, key=lambda r: key(r).encode(), reverse=descending)
            ]
            query = SessionQuery(
                tenant.id, state=SessionState.ALL, sort=(SortKey(field, descending=descending),)
            )

            listed: list[uuid.UUID] = []
            for offset in range(0, SESSION_COUNT + 13, 13):
                page = await services.sessions.list_offset(
                    query, OffsetPage(offset=offset, limit=13)
                )
                assert page.total == SESSION_COUNT
                assert len(page.items) == max(0, min(13, SESSION_COUNT - offset))
                listed += _ids(page)

            assert listed == expected, (field, descending)


# Purge


async def test_purge_deletes_sessions_ended_past_retention_and_their_devices(
    services: Services, clock: FrozenClock
) -> None:
    settings = SessionSettings(max_lifetime=timedelta(days=30), ended_retention=timedelta(days=1))
    tenant = await tenant_with(services, settings)
    await add_user(services, tenant)
    old = await sign_in(services, tenant)
    recent = await sign_in(services, tenant)
    live = await sign_in(services, tenant)
    await services.sessions.end(
        tenant.id, old.record.session.id, reason=EndReason.SIGNED_OUT, by=None
    )
    clock.advance(timedelta(days=2))
    await services.sessions.end(
        tenant.id, recent.record.session.id, reason=EndReason.SIGNED_OUT, by=None
    )
    clock.advance(timedelta(hours=1))

    purged = await services.sessions.purge()

    assert purged >= 1
    with pytest.raises(SessionNotFound):
        await services.sessions.get(tenant.id, old.record.session.id)
    kept = (await services.sessions.get(tenant.id, recent.record.session.id)).session
    assert kept.end_reason is EndReason.SIGNED_OUT
    assert (await services.sessions.authenticate(tenant.id, live.token)).record.session.id == (
        live.record.session.id
    )
    async with services.deps.store.engine.connect() as conn:
        rows = await conn.execute(select(devices.c.id).where(devices.c.tenant_id == tenant.id))
        device_ids = set(rows.scalars())
    assert device_ids == {recent.record.session.device_id, live.record.session.device_id}
    assert old.record.session.device_id not in device_ids


async def test_a_password_change_can_end_every_other_session(
    services: Services, tenant: Tenant
) -> None:
    user = await add_user(services, tenant)
    current = await sign_in(services, tenant)
    other = await sign_in(services, tenant)

    await services.users.change_password(
        tenant.id,
        user.id,
        "a completely new password",
        end_sessions=True,
        keep=current.record.session.id,
        by="alice",
    )

    await services.sessions.authenticate(tenant.id, current.token)
    with pytest.raises(SessionNotLive):
        await services.sessions.authenticate(tenant.id, other.token)
    ended = await services.sessions.get(tenant.id, other.record.session.id)
    assert ended.session.end_reason is EndReason.PASSWORD_CHANGED
    assert ended.session.ended_by == "alice"
