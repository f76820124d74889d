"""The REST second factor's tables, on every backend: tries counted atomically, trust replaced
and bound to its session, the email method toggled."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sessiond.domain.ids import new_id
from sessiond.domain.session import EndReason
from sessiond.domain.tenant import Tenant
from sessiond.domain.two_factor import EMAIL_CODE_MAX_TRIES, EmailCode
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.sign_in import PasswordSignIn
from sessiond.services.users import NewUser

PASSWORD = "correct horse battery"


async def _session(services: Services, tenant: Tenant) -> tuple[uuid.UUID, uuid.UUID]:
    user = await services.users.create(tenant.id, NewUser(username="alice", password=PASSWORD))
    result = await services.sign_ins.password(
        PasswordSignIn(tenant.id, identifier="alice", password=PASSWORD, client=Client())
    )
    assert result.issued is not None
    return user.id, result.issued.record.session.id


async def test_concurrent_tries_at_one_code_stop_at_the_limit(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user_id, _ = await _session(services, tenant)
    now = clock.now()
    code = EmailCode(user_id, new_id(), "d" * 64, 0, now + timedelta(hours=1), now)
    async with services.deps.store.unit_of_work() as uow:
        await uow.two_factor.put_email_code(tenant.id, code)
        await uow.commit()

    async def reserve() -> int | None:
        async with services.deps.store.unit_of_work() as uow:
            granted = await uow.two_factor.reserve_email_try(
                code.code_id, limit=EMAIL_CODE_MAX_TRIES
            )
            await uow.commit()
        return granted

    granted = await asyncio.gather(*(reserve() for _ in range(9)))

    # Each granted try knows its own number, so the one that used up the budget can say so.
    assert sorted(t for t in granted if t is not None) == list(range(1, EMAIL_CODE_MAX_TRIES + 1))
    assert granted.count(None) == 9 - EMAIL_CODE_MAX_TRIES
    async with services.deps.store.unit_of_work(write=False) as uow:
        stored = await uow.two_factor.email_code(user_id)
    assert stored is not None
    assert stored.tries == EMAIL_CODE_MAX_TRIES
    assert not stored.usable(now=now)
    async with services.deps.store.unit_of_work() as uow:
        assert await uow.two_factor.use_email_code(code.code_id)
        assert not await uow.two_factor.use_email_code(code.code_id)
        await uow.commit()


async def test_trust_is_replaced_expires_and_goes_with_its_session(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user_id, session_id = await _session(services, tenant)
    now = clock.now()
    async with services.deps.store.unit_of_work() as uow:
        await uow.two_factor.trust(tenant.id, session_id, fingerprint="a", until=now)
        await uow.two_factor.trust(
            tenant.id, session_id, fingerprint="b", until=now + timedelta(minutes=30)
        )
        await uow.commit()
    async with services.deps.store.unit_of_work(write=False) as uow:
        assert await uow.two_factor.is_trusted(session_id, fingerprint="b", now=now)
        assert not await uow.two_factor.is_trusted(session_id, fingerprint="a", now=now)
        later = now + timedelta(minutes=30)
        assert not await uow.two_factor.is_trusted(session_id, fingerprint="b", now=later)

    await services.sessions.end(tenant.id, session_id, reason=EndReason.REVOKED, by=None)
    await services.users.delete(tenant.id, user_id)
    async with services.deps.store.unit_of_work(write=False) as uow:
        assert not await uow.two_factor.is_trusted(session_id, fingerprint="b", now=now)


async def test_the_email_method_toggles(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user_id, _ = await _session(services, tenant)
    async with services.deps.store.unit_of_work() as uow:
        assert not await uow.two_factor.email_enabled(user_id)
        await uow.two_factor.set_email_enabled(tenant.id, user_id, enabled=True, at=clock.now())
        await uow.two_factor.set_email_enabled(tenant.id, user_id, enabled=True, at=clock.now())
        assert await uow.two_factor.email_enabled(user_id)
        await uow.two_factor.set_email_enabled(tenant.id, user_id, enabled=False, at=clock.now())
        assert not await uow.two_factor.email_enabled(user_id)
        await uow.commit()
