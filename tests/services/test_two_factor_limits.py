"""Limits on second factors, on every backend: mailed codes that nobody else can spoil or
multiply, a failed mail that leaves nothing behind, and a per-user budget of tries across
every method that a right code cannot pass while it is spent."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from sessiond.domain.attempts import SignInStatus
from sessiond.domain.errors import MailUnavailable, SecondFactorFailed
from sessiond.domain.tenant import Tenant
from sessiond.domain.two_factor import (
    EMAIL_CODE_MAX_TRIES,
    FACTOR_TRY_LIMIT,
    FACTOR_TRY_WINDOW,
    Refusal,
    SecondFactorRefused,
)
from sessiond.infra.clock import FrozenClock
from sessiond.infra.passwords import password_digest
from sessiond.services.container import Services
from sessiond.services.rocketchat.email_codes import EmailCodes
from sessiond.services.rocketchat.two_factor import TwoFactorService
from sessiond.services.sessions import Authenticated
from sessiond.services.sign_in import PasswordSignIn
from sessiond.services.totp_enrolment import TotpEnrolment
from sessiond.store.tables import email_codes, factor_tries
from tests.helpers.two_factor import CLIENT, PASSWORD, RecordingMailer, signed_in


@dataclass
class BrokenMailer(RecordingMailer):
    """Fails while `down`, like an unreachable SMTP server."""

    down: bool = True
    tried: list[str] = field(default_factory=list)

    async def send(self, *, to: str, subject: str, text: str) -> None:
        self.tried.append(to)
        if self.down:
            raise MailUnavailable("the mail server did not take the message")
        await super().send(to=to, subject=subject, text=text)


async def _refusal(two_factor: TwoFactorService, auth: Authenticated, code: str, **kw: str) -> str:
    try:
        await two_factor.require(auth, code=code, method=kw.get("method"), client=CLIENT)
    except SecondFactorRefused as refused:
        return refused.refusal.value
    return "proved"


async def _code_rows(services: Services, auth: Authenticated) -> list[dict[str, object]]:
    query = select(email_codes).where(email_codes.c.user_id == auth.record.user.id)
    async with services.deps.store.engine.connect() as conn:
        return [dict(row) for row in (await conn.execute(query)).mappings()]


async def _email_user(
    services: Services, tenant: Tenant, mailer: RecordingMailer
) -> tuple[TwoFactorService, Authenticated]:
    two_factor = TwoFactorService(
        deps=services.deps,
        sign_ins=services.sign_ins,
        codes=EmailCodes(deps=services.deps, mailer=mailer),
    )
    auth = await signed_in(services, tenant)
    await two_factor.set_email(tenant.id, auth.record.user.id, enabled=True)
    return two_factor, auth


async def _another_session(services: Services, tenant: Tenant) -> Authenticated:
    result = await services.sign_ins.password(
        PasswordSignIn(tenant.id, identifier="alice", password=PASSWORD, client=CLIENT)
    )
    assert result.issued is not None
    return await services.sessions.authenticate(tenant.id, result.issued.token)


async def test_asking_for_codes_never_spoils_the_pending_one_and_mails_once_a_minute(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    mailer = RecordingMailer()
    two_factor, auth = await _email_user(services, tenant, mailer)
    for who in ["alice"] * 10 + ["alice@example.test", "nobody", "x" * 300]:
        assert await two_factor.send_email_code(tenant.id, who) is None
    assert len(mailer.sent) == 1
    assert await _refusal(two_factor, auth, mailer.last_code(), method="email") == "proved"
    await two_factor.send_email_code(tenant.id, "alice")
    assert len(mailer.sent) == 1, "a mail went out again within the minute"

    clock.advance(timedelta(seconds=60))
    await two_factor.send_email_code(tenant.id, "alice")
    assert len(mailer.sent) == 2
    code = mailer.last_code()
    clock.advance(timedelta(minutes=10))
    for _ in range(3):
        await two_factor.send_email_code(tenant.id, "alice")
    assert len(mailer.sent) == 2, "the pending code was replaced"
    later = await _another_session(services, tenant)
    assert await _refusal(two_factor, later, code, method="email") == "proved"


async def test_a_used_up_code_blocks_until_it_expires_even_under_concurrency(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    mailer = RecordingMailer()
    two_factor, auth = await _email_user(services, tenant, mailer)
    assert await _refusal(two_factor, auth, "", method="email") == "totp-required"
    right = mailer.last_code()
    wrong = f"{(int(right.replace('-', '')) + 1) % 1_000_000:06d}"
    [minted] = await _code_rows(services, auth)

    kinds = await asyncio.gather(
        *(_refusal(two_factor, auth, wrong, method="email") for _ in range(12))
    )
    kinds += [await _refusal(two_factor, auth, wrong, method="email") for _ in range(8)]
    kinds.append(await _refusal(two_factor, auth, right, method="email"))

    assert kinds.count("totp-invalid") <= EMAIL_CODE_MAX_TRIES - 1
    assert "proved" not in kinds
    assert kinds[-1] == Refusal.MAX_ATTEMPTS.value
    [row] = await _code_rows(services, auth)
    assert (row["code_id"], row["tries"]) == (minted["code_id"], EMAIL_CODE_MAX_TRIES)
    assert len(mailer.sent) == 1

    clock.advance(timedelta(hours=1))
    assert await _refusal(two_factor, auth, right, method="email") == "totp-invalid"
    assert len(mailer.sent) == 2
    assert await _refusal(two_factor, auth, mailer.last_code(), method="email") == "proved"


async def test_a_failed_mail_leaves_no_code_and_no_wait(services: Services, tenant: Tenant) -> None:
    mailer = BrokenMailer()
    two_factor, auth = await _email_user(services, tenant, mailer)
    with pytest.raises(MailUnavailable):
        await two_factor.require(auth, code=None, method="email", client=CLIENT)
    await two_factor.send_email_code(tenant.id, "alice")
    assert len(mailer.tried) == 2
    assert await _code_rows(services, auth) == []

    mailer.down = False
    with pytest.raises(SecondFactorRefused) as asked:
        await two_factor.require(auth, code=None, method="email", client=CLIENT)
    assert asked.value.challenge.code_generated
    assert await _refusal(two_factor, auth, mailer.last_code(), method="email") == "proved"


async def test_concurrent_requests_mint_one_code(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    mailer = RecordingMailer()
    _, auth = await _email_user(services, tenant, mailer)
    codes = EmailCodes(deps=services.deps, mailer=mailer)
    user = auth.record.user

    minted = await asyncio.gather(*(codes.ensure(user, now=clock.now()) for _ in range(8)))

    assert minted.count(True) == 1
    assert len(mailer.sent) == 1
    assert len(await _code_rows(services, auth)) == 1


async def test_fifty_wrong_codes_lock_out_even_the_right_one_until_the_cool_down(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    two_factor = TwoFactorService(deps=services.deps, sign_ins=services.sign_ins, codes=None)
    auth = await signed_in(services, tenant)
    right = password_digest(PASSWORD)
    wrong = password_digest("not the password")

    kinds = await asyncio.gather(*(_refusal(two_factor, auth, wrong) for _ in range(20)))
    kinds += [await _refusal(two_factor, auth, wrong) for _ in range(30)]

    assert kinds.count("totp-invalid") == FACTOR_TRY_LIMIT - 1
    assert kinds.count("totp-max-attempts") == 50 - (FACTOR_TRY_LIMIT - 1)
    assert await _refusal(two_factor, auth, right) == "totp-max-attempts"
    clock.advance(FACTOR_TRY_WINDOW - timedelta(seconds=1))
    assert await _refusal(two_factor, auth, right) == "totp-max-attempts"
    clock.advance(timedelta(seconds=1))
    assert await _refusal(two_factor, auth, right) == "proved"
    query = select(factor_tries).where(factor_tries.c.user_id == auth.record.user.id)
    async with services.deps.store.engine.connect() as conn:
        assert (await conn.execute(query)).first() is None


async def test_login_codes_and_totp_set_up_share_the_budget(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    two_factor = TwoFactorService(deps=services.deps, sign_ins=services.sign_ins, codes=None)
    auth = await signed_in(services, tenant)
    user_id = auth.record.user.id
    enrolment = TotpEnrolment(deps=services.deps)
    totp = pyotp.TOTP((await enrolment.begin(tenant.id, user_id, issuer="Acme")).secret)
    await enrolment.confirm(tenant.id, user_id, totp.at(clock.now()))
    clock.advance(timedelta(seconds=30))

    for _ in range(3):
        with pytest.raises(SecondFactorFailed):
            await enrolment.regenerate_codes(tenant.id, user_id, "000000")
    refusals = []
    for _ in range(3):
        waiting = await services.sign_ins.password(
            PasswordSignIn(tenant.id, identifier="alice", password=PASSWORD, client=CLIENT)
        )
        assert waiting.attempt.status is SignInStatus.NEEDS_FACTOR_TWO
        for _ in range(3):
            try:
                await two_factor.complete_sign_in(waiting, "000000", client=CLIENT)
            except SecondFactorRefused as refused:
                refusals.append(refused.refusal)
    assert refusals[-3:] == [Refusal.MAX_ATTEMPTS] * 3
    waiting = await services.sign_ins.password(
        PasswordSignIn(tenant.id, identifier="alice", password=PASSWORD, client=CLIENT)
    )
    with pytest.raises(SecondFactorRefused) as locked:
        await two_factor.complete_sign_in(waiting, totp.at(clock.now()), client=CLIENT)
    assert locked.value.refusal is Refusal.MAX_ATTEMPTS
    with pytest.raises(SecondFactorFailed) as exhausted:
        await enrolment.disable(tenant.id, user_id, totp.at(clock.now()))
    assert exhausted.value.exhausted

    clock.advance(FACTOR_TRY_WINDOW)
    waiting = await services.sign_ins.password(
        PasswordSignIn(tenant.id, identifier="alice", password=PASSWORD, client=CLIENT)
    )
    signed = await two_factor.complete_sign_in(waiting, totp.at(clock.now()), client=CLIENT)
    assert signed.issued is not None
