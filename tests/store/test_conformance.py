"""One storage conformance suite, run on every backend: SQLite always, PostgreSQL when set."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sessiond.compose import migrate
from sessiond.domain.device import Device, UserAgentInfo
from sessiond.domain.errors import Conflict, InvalidFilter
from sessiond.domain.ids import new_id
from sessiond.domain.listing import OffsetPage, SessionQuery, SessionState
from sessiond.domain.session import AAL, AuthMethod, EndReason, Session
from sessiond.domain.tenant import Tenant
from sessiond.domain.tokens import new_token
from sessiond.domain.user import Email, User, UserState
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.settings import Settings
from sessiond.store.engine import create_engine
from sessiond.store.migrate import current_revision
from sessiond.store.tables import devices, sessions, tenants
from tests.helpers.tenants import unique_slug


def _user(tenant: Tenant, clock: FrozenClock, username: str, *emails: str) -> User:
    now = clock.now()
    return User(
        id=new_id(),
        tenant_id=tenant.id,
        username=username,
        name=username.title(),
        emails=tuple(Email(e, verified=i == 0) for i, e in enumerate(emails)),
        state=UserState.ACTIVE,
        roles=("user",),
        created_at=now,
        updated_at=now,
        traits={"email": emails[0] if emails else None},
        metadata_public={"plan": "free"},
    )


def _session(tenant: Tenant, user: User, clock: FrozenClock) -> tuple[Session, Device, str]:
    now = clock.now()
    token = new_token()
    device = Device(
        id=new_id(),
        agent=UserAgentInfo(raw="Mozilla/5.0 Firefox/112.0", browser_name="Firefox"),
        ip="203.0.113.9",
        location="Berlin, DE",
        created_at=now,
    )
    session = Session(
        id=new_id(),
        tenant_id=tenant.id,
        user_id=user.id,
        token_digest=token.digest,
        device_id=device.id,
        created_at=now,
        authenticated_at=now,
        issued_at=now,
        expires_at=now + timedelta(hours=1),
        last_active_at=now,
        updated_at=now,
        aal=AAL.AAL2,
        methods=(AuthMethod("password", AAL.AAL1, now), AuthMethod("totp", AAL.AAL2, now)),
        host="example.test",
    )
    return session, device, token.raw


async def _add_user(services: Services, user: User) -> None:
    async with services.deps.store.unit_of_work() as uow:
        await uow.users.add(user)
        await uow.commit()


async def test_tenant_round_trip_and_unique_slug(services: Services, tenant: Tenant) -> None:
    async with services.deps.store.unit_of_work(write=False) as uow:
        assert await uow.tenants.get(tenant.id) == tenant
        assert await uow.tenants.get_by_slug(tenant.slug) == tenant
        assert await uow.tenants.get_by_public_key(tenant.public_key) == tenant
    with pytest.raises(Conflict, match="already exists"):
        await services.tenants.create(slug=tenant.slug)


async def test_user_round_trip_and_case_insensitive_uniqueness(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = _user(tenant, clock, "Alice", "Alice@Example.com", "alt@example.com")
    await _add_user(services, user)
    async with services.deps.store.unit_of_work(write=False) as uow:
        assert await uow.users.get(tenant.id, user.id) == user
        assert await uow.users.get_by_username(tenant.id, "ALICE") == user
        assert await uow.users.get_by_email(tenant.id, "alice@example.COM") == user
        assert await uow.users.get_by_email(tenant.id, "ALT@example.com") == user
    with pytest.raises(Conflict, match="username"):
        await _add_user(services, _user(tenant, clock, "alice"))
    with pytest.raises(Conflict, match="email"):
        await _add_user(services, _user(tenant, clock, "bob", "ALICE@example.com"))
    async with services.deps.store.unit_of_work(write=False) as uow:
        assert await uow.users.get_by_username(tenant.id, "bob") is None


async def test_same_username_in_two_tenants(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    other = (await services.tenants.create(slug=unique_slug())).tenant
    await _add_user(services, _user(tenant, clock, "carol", "carol@example.com"))
    await _add_user(services, _user(other, clock, "carol", "carol@example.com"))
    async with services.deps.store.unit_of_work(write=False) as uow:
        mine = await uow.users.get_by_username(tenant.id, "carol")
        theirs = await uow.users.get_by_username(other.id, "carol")
    assert mine is not None
    assert theirs is not None
    assert mine.id != theirs.id


async def test_session_round_trip_by_id_and_digest(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = _user(tenant, clock, "dave", "dave@example.com")
    await _add_user(services, user)
    session, device, _raw = _session(tenant, user, clock)
    async with services.deps.store.unit_of_work() as uow:
        await uow.sessions.add(session, device)
        await uow.commit()
    async with services.deps.store.unit_of_work(write=False) as uow:
        by_id = await uow.sessions.get(tenant.id, session.id)
        by_digest = await uow.sessions.get_by_token_digest(session.token_digest, tenant.id)
        digest_elsewhere = await uow.sessions.get_by_token_digest(session.token_digest, new_id())
        other_tenant = await uow.sessions.get(new_id(), session.id)
    assert by_id is not None
    assert by_digest == by_id
    assert digest_elsewhere is None
    assert by_id.session == session
    assert by_id.device == device
    assert by_id.user == user
    assert other_tenant is None


async def test_times_keep_microseconds_and_utc(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = _user(tenant, clock, "erin")
    await _add_user(services, user)
    session, device, _raw = _session(tenant, user, clock)
    async with services.deps.store.unit_of_work() as uow:
        await uow.sessions.add(session, device)
        await uow.commit()
    record = await services.sessions.get(tenant.id, session.id)
    assert record.session.created_at == clock.now()
    assert record.session.created_at.utcoffset() == timedelta(0)
    assert record.session.created_at.microsecond == clock.now().microsecond


async def test_touch_is_conditional(services: Services, tenant: Tenant, clock: FrozenClock) -> None:
    user = _user(tenant, clock, "frank")
    await _add_user(services, user)
    session, device, _raw = _session(tenant, user, clock)
    async with services.deps.store.unit_of_work() as uow:
        await uow.sessions.add(session, device)
        await uow.commit()
    later = clock.now() + timedelta(seconds=90)
    async with services.deps.store.unit_of_work() as uow:
        first = await uow.sessions.touch(
            session.id, at=later, not_after=later - timedelta(seconds=60)
        )
        again = await uow.sessions.touch(
            session.id, at=later + timedelta(seconds=1), not_after=later - timedelta(seconds=59)
        )
        await uow.commit()
    assert (first, again) == (True, False)
    assert (await services.sessions.get(tenant.id, session.id)).session.last_active_at == later


async def test_end_is_idempotent_and_scoped(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = _user(tenant, clock, "gina")
    await _add_user(services, user)
    made = [_session(tenant, user, clock) for _ in range(3)]
    async with services.deps.store.unit_of_work() as uow:
        for session, device, _raw in made:
            await uow.sessions.add(session, device)
        await uow.commit()
    keep = made[0][0].id
    async with services.deps.store.unit_of_work() as uow:
        ended = await uow.sessions.end(
            tenant.id,
            user_id=user.id,
            except_id=keep,
            at=clock.now(),
            reason=EndReason.REVOKED_OTHERS,
            by="gina",
        )
        again = await uow.sessions.end(
            tenant.id,
            user_id=user.id,
            except_id=keep,
            at=clock.now(),
            reason=EndReason.REVOKED,
            by=None,
        )
        elsewhere = await uow.sessions.end(
            new_id(), user_id=user.id, at=clock.now(), reason=EndReason.REVOKED, by=None
        )
        await uow.commit()
    assert sorted(ended) == sorted(s.id for s, _d, _r in made[1:])
    assert again == []
    assert elsewhere == []
    record = await services.sessions.get(tenant.id, made[1][0].id)
    assert record.session.end_reason is EndReason.REVOKED_OTHERS
    assert record.session.ended_by == "gina"
    assert (await services.sessions.get(tenant.id, keep)).session.ended_at is None


async def test_purge_deletes_sessions_and_devices_in_batches(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = _user(tenant, clock, "hank")
    await _add_user(services, user)
    made = [_session(tenant, user, clock) for _ in range(7)]
    async with services.deps.store.unit_of_work() as uow:
        for session, device, _raw in made:
            await uow.sessions.add(session, device)
        await uow.sessions.end(
            tenant.id,
            session_ids=[s.id for s, _d, _r in made[:5]],
            at=clock.now(),
            reason=EndReason.REVOKED,
            by=None,
        )
        await uow.commit()
    cutoff = clock.now() + timedelta(minutes=1)
    counts = []
    for _ in range(3):
        async with services.deps.store.unit_of_work() as uow:
            counts.append(
                await uow.sessions.purge(
                    tenant.id,
                    ended_before=cutoff,
                    expired_before=clock.now(),
                    limit=2,
                    now=clock.now(),
                )
            )
            await uow.commit()
    assert counts == [2, 2, 1]
    async with services.deps.store.unit_of_work(write=False) as uow:
        conn = uow.sessions._conn
        left = set((await conn.execute(select(sessions.c.id))).scalars())
        left_devices = set((await conn.execute(select(devices.c.id))).scalars())
    assert {s.id for s, _d, _r in made} & left == {s.id for s, _d, _r in made[5:]}
    assert not {d.id for _s, d, _r in made[:5]} & left_devices


async def test_regex_filter_runs_on_re2_or_refuses_cleanly(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = _user(tenant, clock, "ivy")
    await _add_user(services, user)
    session, device, _raw = _session(tenant, user, clock)
    async with services.deps.store.unit_of_work() as uow:
        await uow.sessions.add(session, device)
        await uow.commit()
    page = OffsetPage(offset=0, limit=10)
    found = await services.sessions.list_offset(
        SessionQuery(tenant_id=tenant.id, text_filter="^fire"), page
    )
    assert [r.session.id for r in found.items] == [session.id]
    by_id = await services.sessions.list_offset(
        SessionQuery(tenant_id=tenant.id, text_filter=session.id.hex[-10:]), page
    )
    assert by_id.total == 1
    missing = await services.sessions.list_offset(
        SessionQuery(tenant_id=tenant.id, text_filter="chrome"), page
    )
    assert missing.total == 0
    word = await services.sessions.list_offset(
        SessionQuery(tenant_id=tenant.id, text_filter=r"\bfirefox\b"), page
    )
    assert word.total == 1
    unicode_class = SessionQuery(tenant_id=tenant.id, text_filter=r"^\p{Lu}")
    with pytest.raises(InvalidFilter):
        await services.sessions.list_offset(unicode_class, page)


async def test_live_state_reads_user_state(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = _user(tenant, clock, "jack")
    await _add_user(services, user)
    session, device, _raw = _session(tenant, user, clock)
    async with services.deps.store.unit_of_work() as uow:
        await uow.sessions.add(session, device)
        await uow.users.update(replace(user, state=UserState.SUSPENDED))
        await uow.commit()
    page = OffsetPage()
    live = await services.sessions.list_offset(SessionQuery(tenant_id=tenant.id), page)
    ended = await services.sessions.list_offset(
        SessionQuery(tenant_id=tenant.id, state=SessionState.ENDED), page
    )
    assert (live.total, ended.total) == (0, 1)


async def test_migrations_are_idempotent_and_seed_default_tenant(
    database_url: str, tmp_path: Path
) -> None:
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        await migrate(Settings(database_url=url))
        await migrate(Settings(database_url=url))
        engine = create_engine(url)
        try:
            assert await current_revision(engine) is not None
            async with engine.connect() as conn:
                slugs = list((await conn.execute(select(tenants.c.slug))).scalars())
        finally:
            await engine.dispose()
        assert slugs == ["default"]
    else:
        engine = create_engine(database_url)
        try:
            before = await current_revision(engine)
            await migrate(Settings(database_url=database_url))
            assert await current_revision(engine) == before is not None
        finally:
            await engine.dispose()


async def test_concurrent_units_of_work_do_not_lose_writes(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    async def add(i: int) -> None:
        await _add_user(services, _user(tenant, clock, f"user{i}", f"u{i}@example.com"))

    await asyncio.gather(*(add(i) for i in range(20)))
    async with services.deps.store.unit_of_work(write=False) as uow:
        found, total = await uow.users.list_page(tenant.id, offset=0, limit=100)
    assert total == 20
    assert len({u.id for u in found}) == 20
    assert all(isinstance(u.id, uuid.UUID) for u in found)
