"""The REST second factor and TOTP enrolment services, on every backend: race-proof tries, trust
shared through the database, codes stored only as digests."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from sessiond.compose import open_services
from sessiond.domain.errors import Conflict, SecondFactorFailed
from sessiond.domain.tenant import Tenant
from sessiond.domain.two_factor import EMAIL_CODE_MAX_TRIES, Method, Refusal, SecondFactorRefused
from sessiond.infra.clock import FrozenClock
from sessiond.infra.passwords import password_digest
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.rocketchat.email_codes import EmailCodes
from sessiond.services.rocketchat.two_factor import TwoFactorService
from sessiond.services.totp_enrolment import TotpEnrolment
from sessiond.settings import Settings
from sessiond.store.tables import backup_codes, email_codes
from tests.helpers.two_factor import CLIENT, PASSWORD, RecordingMailer, signed_in


async def test_concurrent_wrong_email_codes_count_at_most_five(
    services: Services, tenant: Tenant
) -> None:
    mailer = RecordingMailer()
    two_factor = TwoFactorService(
        deps=services.deps,
        sign_ins=services.sign_ins,
        codes=EmailCodes(deps=services.deps, mailer=mailer),
    )
    auth = await signed_in(services, tenant)
    await two_factor.set_email(tenant.id, auth.record.user.id, enabled=True)
    with pytest.raises(SecondFactorRefused):
        await two_factor.require(auth, code=None, method="email", client=CLIENT)
    right = mailer.last_code()
    wrong = f"{(int(right.replace('-', '')) + 1) % 1_000_000:06d}"

    async def attempt() -> Refusal:
        try:
            await two_factor.require(auth, code=wrong, method="email", client=CLIENT)
        except SecondFactorRefused as refused:
            return refused.refusal
        raise AssertionError("a wrong code was accepted")

    await asyncio.gather(*(attempt() for _ in range(8)), return_exceptions=False)
    async with services.deps.store.engine.connect() as conn:
        rows = list((await conn.execute(select(email_codes))).mappings())
    mine = [row for row in rows if row["user_id"] == auth.record.user.id]
    assert len(mine) <= 1
    assert all(row["tries"] <= EMAIL_CODE_MAX_TRIES for row in mine)
    assert all(right.replace("-", "") not in row["digest"] for row in mine)


async def test_a_proof_is_honoured_by_another_node(
    services: Services, tenant: Tenant, settings: Settings, clock: FrozenClock
) -> None:
    auth = await signed_in(services, tenant)
    first = TwoFactorService(deps=services.deps, sign_ins=services.sign_ins, codes=None)
    await first.require(auth, code=password_digest(PASSWORD), method=None, client=CLIENT)
    other = await open_services(settings, clock=clock)
    try:
        second = TwoFactorService(deps=other.deps, sign_ins=other.sign_ins, codes=None)
        await second.require(auth, code=None, method=None, client=CLIENT)
        elsewhere = Client(user_agent="test agent", ip="192.0.2.2")
        with pytest.raises(SecondFactorRefused) as caught:
            await second.require(auth, code=None, method=None, client=elsewhere)
        assert caught.value.challenge.method is Method.PASSWORD
    finally:
        await other.close()


async def test_enrolment_stores_only_digests_and_needs_a_fresh_code(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    auth = await signed_in(services, tenant)
    user_id = auth.record.user.id
    enrolment = TotpEnrolment(deps=services.deps)
    with pytest.raises(Conflict):
        await enrolment.confirm(tenant.id, user_id, "123456")
    pending = await enrolment.begin(tenant.id, user_id, issuer="Acme")
    assert "issuer=Acme" in pending.url
    totp = pyotp.TOTP(pending.secret)
    assert not (await services.users.get(tenant.id, user_id)).has_second_factor
    with pytest.raises(SecondFactorFailed):
        await enrolment.confirm(tenant.id, user_id, "abcdef")

    codes = await enrolment.confirm(tenant.id, user_id, totp.at(clock.now()))

    assert (await services.users.get(tenant.id, user_id)).has_second_factor
    query = select(backup_codes.c.digest).where(backup_codes.c.user_id == user_id)
    async with services.deps.store.engine.connect() as conn:
        stored = set((await conn.execute(query)).scalars())
    assert len(stored) == len(codes) == 12
    assert not stored & set(codes)
    with pytest.raises(Conflict):
        await enrolment.begin(tenant.id, user_id, issuer="Acme")
    with pytest.raises(SecondFactorFailed):
        await enrolment.disable(tenant.id, user_id, totp.at(clock.now()))
    clock.advance(timedelta(seconds=30))
    await enrolment.disable(tenant.id, user_id, totp.at(clock.now()))
    assert not (await services.users.get(tenant.id, user_id)).has_second_factor
