"""Sign-in with a password, the second factor, and sign-up, on every storage backend."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from sessiond.domain.attempts import SignInStatus, SignUpStatus, Strategy
from sessiond.domain.errors import (
    AttemptNotFound,
    AuthenticationFailed,
    Conflict,
    SecondFactorFailed,
    SessionLimitReached,
    StorageUnavailable,
    UserSuspended,
)
from sessiond.domain.session import AAL, EndReason, Session
from sessiond.domain.tenant import LimitPolicy, SessionSettings, Tenant
from sessiond.domain.tokens import IssuedToken, digest
from sessiond.domain.user import Email, UserState
from sessiond.infra.clock import FrozenClock
from sessiond.infra.passwords import PasswordHasher
from sessiond.infra.totp import generate_backup_codes
from sessiond.services import issuing
from sessiond.services.container import Services
from sessiond.services.sign_in import SignInResult
from sessiond.services.users import NewUser
from sessiond.store.repositories.sessions import SessionRepository
from sessiond.store.tables import devices
from tests.helpers.clock import START
from tests.helpers.tenants import tenant_with, unique_slug
from tests.helpers.users import (
    CHROME,
    CLIENT,
    PASSWORD,
    add_user,
    count_sessions,
    enable_totp,
    sign_in,
    stored_sign_ins,
    wrong_code,
)


async def count_devices(services: Services, tenant: Tenant) -> int:
    query = select(func.count()).select_from(devices).where(devices.c.tenant_id == tenant.id)
    async with services.deps.store.engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


def method_names(session: Session) -> list[tuple[str, AAL]]:
    return [(m.method, m.aal) for m in session.methods]


async def test_sign_in_issues_a_session_its_device_and_a_complete_attempt(
    services: Services, tenant: Tenant
) -> None:
    user = await add_user(services, tenant)

    result = await sign_in(services, tenant)

    assert result.issued is not None
    assert result.attempt.status is SignInStatus.COMPLETE
    stored = await services.sessions.get(tenant.id, result.issued.record.session.id)
    session = stored.session
    assert session.user_id == user.id
    assert session.sign_in_attempt_id == result.attempt.id
    assert session.sign_up_attempt_id is None
    assert session.aal is AAL.AAL1
    assert method_names(session) == [("password", AAL.AAL1)]
    assert session.host == "auth.example.test"
    assert (session.created_at, session.last_active_at) == (START, START)
    assert session.expires_at == START + timedelta(hours=24)
    assert stored.device is not None
    assert stored.device.id == session.device_id
    assert stored.device.agent.raw == CHROME
    assert stored.device.agent.browser_name == "Chrome"
    assert stored.device.agent.os_name == "Windows"
    assert stored.device.ip == "203.0.113.7"
    [attempt] = await stored_sign_ins(services, tenant)
    assert attempt.id == result.attempt.id
    assert attempt.status is SignInStatus.COMPLETE
    assert attempt.user_id == user.id
    assert (attempt.identifier, attempt.strategy) == ("alice", Strategy.USERNAME_PASSWORD)
    assert (attempt.ip, attempt.user_agent, attempt.failure_reason) == ("203.0.113.7", CHROME, None)
    authenticated = await services.sessions.authenticate(tenant.id, result.issued.token)
    assert authenticated.record.session.id == session.id


async def test_a_failure_while_issuing_leaves_nothing_behind(
    services: Services, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unit of work of a sign-in that needs one (here: a session limit to check)."""
    tenant = await services.tenants.change_settings(
        tenant.id, lambda s: replace(s, max_live_sessions=10)
    )
    await add_user(services, tenant)
    original = SessionRepository.add

    async def add_then_fail(self: SessionRepository, *args: object, **kwargs: object) -> None:
        await original(self, *args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("injected after the session and device were written")

    monkeypatch.setattr(SessionRepository, "add", add_then_fail)
    with pytest.raises(RuntimeError, match="injected"):
        await sign_in(services, tenant)
    monkeypatch.undo()

    assert await stored_sign_ins(services, tenant) == []
    assert await count_sessions(services, tenant) == 0
    assert await count_devices(services, tenant) == 0


async def test_a_session_that_cannot_be_written_leaves_no_attempt_or_device(
    services: Services, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The common sign-in, which PostgreSQL writes in one statement: its session's token collides
    with another's, and the attempt and the device written beside it go too."""
    await add_user(services, tenant)
    first = await sign_in(services, tenant)
    assert first.issued is not None
    taken = IssuedToken(raw=first.issued.token, digest=digest(first.issued.token))
    monkeypatch.setattr(issuing, "new_token", lambda **_: taken)
    with pytest.raises(StorageUnavailable):
        await sign_in(services, tenant)
    monkeypatch.undo()

    assert [a.id for a in await stored_sign_ins(services, tenant)] == [first.attempt.id]
    assert await count_sessions(services, tenant) == 1
    assert await count_devices(services, tenant) == 1


async def test_a_wrong_password_fails_and_records_a_failed_attempt(
    services: Services, tenant: Tenant
) -> None:
    user = await add_user(services, tenant)

    with pytest.raises(AuthenticationFailed) as caught:
        await sign_in(services, tenant, password="wrong password!")

    assert type(caught.value) is AuthenticationFailed
    assert caught.value.message == "the identifier or the password is wrong"
    [attempt] = await stored_sign_ins(services, tenant)
    assert attempt.status is SignInStatus.FAILED
    assert attempt.failure_reason == "invalid_credentials"
    assert attempt.user_id == user.id
    assert attempt.identifier == "alice"
    assert await count_sessions(services, tenant) == 0


async def test_an_unknown_user_fails_the_same_way_and_is_recorded(
    services: Services, tenant: Tenant
) -> None:
    await add_user(services, tenant)

    with pytest.raises(AuthenticationFailed) as caught:
        await sign_in(services, tenant, identifier="mallory")

    assert type(caught.value) is AuthenticationFailed
    assert caught.value.message == "the identifier or the password is wrong"
    [attempt] = await stored_sign_ins(services, tenant)
    assert attempt.status is SignInStatus.FAILED
    assert attempt.failure_reason == "invalid_credentials"
    assert attempt.user_id is None
    assert attempt.identifier == "mallory"
    assert await count_sessions(services, tenant) == 0


async def test_a_user_without_a_password_cannot_sign_in_with_one(
    services: Services, tenant: Tenant
) -> None:
    await add_user(services, tenant, "carol", password=None)

    with pytest.raises(AuthenticationFailed):
        await sign_in(services, tenant, identifier="carol", password=PASSWORD)

    [attempt] = await stored_sign_ins(services, tenant)
    assert attempt.status is SignInStatus.FAILED


@pytest.mark.parametrize("identifier", ["alice", "ALICE", "aLiCe", "  Alice  "])
async def test_usernames_are_case_insensitive(
    services: Services, tenant: Tenant, identifier: str
) -> None:
    user = await add_user(services, tenant, "Alice")

    result = await sign_in(services, tenant, identifier=identifier)

    assert result.issued is not None
    assert result.issued.record.user.id == user.id
    assert result.attempt.identifier == identifier.strip()


@pytest.mark.parametrize(
    "identifier", ["Alice.Smith@Example.COM", "alice.smith@example.com", "ALICE.SMITH@EXAMPLE.COM"]
)
async def test_email_strategy_is_case_insensitive(
    services: Services, tenant: Tenant, identifier: str
) -> None:
    user = await add_user(services, tenant, None, emails=("Alice.Smith@Example.com",))

    result = await sign_in(
        services, tenant, identifier=identifier, strategy=Strategy.EMAIL_PASSWORD
    )

    assert result.issued is not None
    assert result.issued.record.user.id == user.id
    [attempt] = await stored_sign_ins(services, tenant)
    assert attempt.strategy is Strategy.EMAIL_PASSWORD
    assert attempt.status is SignInStatus.COMPLETE


async def test_a_suspended_user_cannot_sign_in(services: Services, tenant: Tenant) -> None:
    user = await add_user(services, tenant, state=UserState.SUSPENDED)

    with pytest.raises(UserSuspended):
        await sign_in(services, tenant)

    [attempt] = await stored_sign_ins(services, tenant)
    assert attempt.status is SignInStatus.FAILED
    assert attempt.failure_reason == "user_suspended"
    assert attempt.user_id == user.id
    assert await count_sessions(services, tenant) == 0


async def test_a_suspended_user_with_a_wrong_password_learns_nothing_more(
    services: Services, tenant: Tenant
) -> None:
    await add_user(services, tenant, state=UserState.SUSPENDED)

    with pytest.raises(AuthenticationFailed) as caught:
        await sign_in(services, tenant, password="wrong password!")

    assert type(caught.value) is AuthenticationFailed
    [attempt] = await stored_sign_ins(services, tenant)
    assert attempt.failure_reason == "invalid_credentials"


async def test_sign_ins_of_one_tenant_are_not_another_tenants(
    services: Services, tenant: Tenant
) -> None:
    other = (await services.tenants.create(slug=unique_slug())).tenant
    await add_user(services, other)

    with pytest.raises(AuthenticationFailed):
        await sign_in(services, tenant)

    assert len(await stored_sign_ins(services, tenant)) == 1
    assert await stored_sign_ins(services, other) == []


# Second factor


async def test_an_old_password_hash_is_upgraded_with_the_sign_in(
    services: Services, tenant: Tenant
) -> None:
    user = await add_user(services, tenant)
    older = await PasswordHasher(time_cost=2, memory_cost=2048).hash(PASSWORD)
    async with services.deps.store.unit_of_work() as uow:
        current = await uow.users.get_for_update(tenant.id, user.id)
        assert current is not None
        await uow.users.update(replace(current, password_hash=older))
        await uow.commit()
    assert services.deps.passwords.needs_rehash(older)

    result = await sign_in(services, tenant)

    assert result.issued is not None
    stored = await services.users.get(tenant.id, user.id)
    assert stored.password_hash != older
    assert stored.password_hash is not None
    assert not services.deps.passwords.needs_rehash(stored.password_hash)
    assert await services.deps.passwords.verify(stored.password_hash, PASSWORD)


async def test_a_user_with_totp_waits_for_the_second_factor(
    services: Services, tenant: Tenant
) -> None:
    user = await add_user(services, tenant)
    await enable_totp(services, tenant, user)

    result = await sign_in(services, tenant)

    assert result.issued is None
    assert result.attempt.status is SignInStatus.NEEDS_FACTOR_TWO
    [attempt] = await stored_sign_ins(services, tenant)
    assert attempt.id == result.attempt.id
    assert attempt.status is SignInStatus.NEEDS_FACTOR_TWO
    assert attempt.user_id == user.id
    assert await count_sessions(services, tenant) == 0


async def test_a_right_totp_code_issues_an_aal2_session(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = await add_user(services, tenant)
    secret = await enable_totp(services, tenant, user)
    waiting = await sign_in(services, tenant)
    clock.advance(timedelta(seconds=20))

    done = await services.sign_ins.second_factor(
        tenant.id, waiting.attempt.id, code=pyotp.TOTP(secret).at(clock.now()), client=CLIENT
    )

    assert done.issued is not None
    assert done.attempt.status is SignInStatus.COMPLETE
    stored = (await services.sessions.get(tenant.id, done.issued.record.session.id)).session
    assert stored.aal is AAL.AAL2
    assert method_names(stored) == [("password", AAL.AAL1), ("totp", AAL.AAL2)]
    assert [m.completed_at for m in stored.methods] == [START, START + timedelta(seconds=20)]
    assert stored.sign_in_attempt_id == waiting.attempt.id
    [attempt] = await stored_sign_ins(services, tenant)
    assert attempt.status is SignInStatus.COMPLETE
    authenticated = await services.sessions.authenticate(tenant.id, done.issued.token)
    assert authenticated.record.session.aal is AAL.AAL2


async def test_a_totp_code_never_works_twice(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = await add_user(services, tenant)
    secret = await enable_totp(services, tenant, user)
    code = pyotp.TOTP(secret).at(clock.now())
    first = await sign_in(services, tenant)
    await services.sign_ins.second_factor(tenant.id, first.attempt.id, code=code, client=CLIENT)
    second = await sign_in(services, tenant)

    with pytest.raises(SecondFactorFailed):
        await services.sign_ins.second_factor(
            tenant.id, second.attempt.id, code=code, client=CLIENT
        )

    assert await count_sessions(services, tenant) == 1
    attempts = {a.id: a for a in await stored_sign_ins(services, tenant)}
    assert attempts[second.attempt.id].status is SignInStatus.NEEDS_FACTOR_TWO


@pytest.mark.parametrize("kind", ["totp", "backup"])
async def test_one_code_sent_to_two_attempts_at_once_works_once(
    services: Services, tenant: Tenant, clock: FrozenClock, kind: str
) -> None:
    user = await add_user(services, tenant)
    codes = generate_backup_codes(2)
    secret = await enable_totp(services, tenant, user, codes)
    code = pyotp.TOTP(secret).at(clock.now()) if kind == "totp" else codes[0]
    waiting = [await sign_in(services, tenant) for _ in range(4)]

    results = await asyncio.gather(
        *(
            services.sign_ins.second_factor(tenant.id, w.attempt.id, code=code, client=CLIENT)
            for w in waiting
        ),
        return_exceptions=True,
    )

    done = [r for r in results if isinstance(r, SignInResult)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(done) == 1
    assert all(isinstance(r, SecondFactorFailed) for r in refused), refused
    assert await count_sessions(services, tenant) == 1


async def test_wrong_codes_are_refused_every_time(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = await add_user(services, tenant)
    secret = await enable_totp(services, tenant, user)
    waiting = await sign_in(services, tenant)
    code = wrong_code(secret, clock)

    for attempt_number in range(1, 6):
        with pytest.raises(SecondFactorFailed) as refused:
            await services.sign_ins.second_factor(
                tenant.id, waiting.attempt.id, code=code, client=CLIENT
            )
        assert refused.value.exhausted is (attempt_number == 5)
    for late_code in (code, pyotp.TOTP(secret).at(clock.now())):
        with pytest.raises(AttemptNotFound):
            await services.sign_ins.second_factor(
                tenant.id, waiting.attempt.id, code=late_code, client=CLIENT
            )

    assert await count_sessions(services, tenant) == 0
    [attempt] = await stored_sign_ins(services, tenant)
    assert attempt.status is SignInStatus.FAILED
    assert attempt.failure_reason == "too_many_codes"
    assert attempt.factor_tries == 5


async def test_a_completed_attempt_cannot_complete_again(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = await add_user(services, tenant)
    secret = await enable_totp(services, tenant, user)
    waiting = await sign_in(services, tenant)
    totp = pyotp.TOTP(secret)
    await services.sign_ins.second_factor(
        tenant.id, waiting.attempt.id, code=totp.at(clock.now()), client=CLIENT
    )
    clock.advance(timedelta(seconds=30))

    with pytest.raises(AttemptNotFound):
        await services.sign_ins.second_factor(
            tenant.id, waiting.attempt.id, code=totp.at(clock.now()), client=CLIENT
        )

    assert await count_sessions(services, tenant) == 1


async def test_a_backup_code_works_once(services: Services, tenant: Tenant) -> None:
    user = await add_user(services, tenant)
    codes = generate_backup_codes(4)
    await enable_totp(services, tenant, user, codes)
    first = await sign_in(services, tenant)

    done = await services.sign_ins.second_factor(
        tenant.id, first.attempt.id, code=codes[1].upper(), client=CLIENT
    )

    assert done.issued is not None
    session = done.issued.record.session
    assert session.aal is AAL.AAL2
    assert method_names(session) == [("password", AAL.AAL1), ("lookup_secret", AAL.AAL2)]
    stored = (await services.sessions.get(tenant.id, session.id)).session
    assert method_names(stored) == method_names(session)
    second = await sign_in(services, tenant)
    with pytest.raises(SecondFactorFailed):
        await services.sign_ins.second_factor(
            tenant.id, second.attempt.id, code=codes[1], client=CLIENT
        )
    other = await services.sign_ins.second_factor(
        tenant.id, second.attempt.id, code=codes[2], client=CLIENT
    )
    assert other.issued is not None
    assert await count_sessions(services, tenant) == 2


async def test_a_refused_session_does_not_burn_the_backup_code(services: Services) -> None:
    tenant = await tenant_with(
        services, SessionSettings(max_live_sessions=1, limit_policy=LimitPolicy.DENY)
    )
    user = await add_user(services, tenant)
    codes = generate_backup_codes(2)
    await enable_totp(services, tenant, user, codes)
    first_waiting = await sign_in(services, tenant)
    first = await services.sign_ins.second_factor(
        tenant.id, first_waiting.attempt.id, code=codes[1], client=CLIENT
    )
    assert first.issued is not None

    refused = await sign_in(services, tenant)
    with pytest.raises(SessionLimitReached):
        await services.sign_ins.second_factor(
            tenant.id, refused.attempt.id, code=codes[0], client=CLIENT
        )

    await services.sessions.end_for_user(tenant.id, user.id, reason=EndReason.REVOKED, by="test")
    retry = await sign_in(services, tenant)
    done = await services.sign_ins.second_factor(
        tenant.id, retry.attempt.id, code=codes[0], client=CLIENT
    )
    assert done.issued is not None
    statuses = {a.id: a.status for a in await stored_sign_ins(services, tenant)}
    assert statuses[refused.attempt.id] is SignInStatus.FAILED


@pytest.mark.parametrize(
    ("wait", "accepted"),
    [(timedelta(minutes=9, seconds=59), True), (timedelta(minutes=10, seconds=1), False)],
)
async def test_an_attempt_waits_ten_minutes_for_its_second_factor(
    services: Services, tenant: Tenant, clock: FrozenClock, wait: timedelta, accepted: bool
) -> None:
    user = await add_user(services, tenant)
    secret = await enable_totp(services, tenant, user)
    waiting = await sign_in(services, tenant)
    clock.advance(wait)
    code = pyotp.TOTP(secret).at(clock.now())

    if accepted:
        done = await services.sign_ins.second_factor(
            tenant.id, waiting.attempt.id, code=code, client=CLIENT
        )
        assert done.issued is not None
        assert await count_sessions(services, tenant) == 1
    else:
        with pytest.raises(AttemptNotFound, match="expired"):
            await services.sign_ins.second_factor(
                tenant.id, waiting.attempt.id, code=code, client=CLIENT
            )
        assert await count_sessions(services, tenant) == 0


async def test_an_expired_waiting_attempt_is_closed(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = await add_user(services, tenant)
    secret = await enable_totp(services, tenant, user)
    waiting = await sign_in(services, tenant)
    clock.advance(timedelta(minutes=11))

    with pytest.raises(AttemptNotFound, match="expired"):
        await services.sign_ins.second_factor(
            tenant.id, waiting.attempt.id, code=pyotp.TOTP(secret).at(clock.now()), client=CLIENT
        )

    [attempt] = await stored_sign_ins(services, tenant)
    assert attempt.status is SignInStatus.FAILED
    assert attempt.failure_reason == "expired"


async def test_an_attempt_of_another_tenant_is_not_found(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    other = (await services.tenants.create(slug=unique_slug())).tenant
    user = await add_user(services, tenant)
    secret = await enable_totp(services, tenant, user)
    waiting = await sign_in(services, tenant)

    with pytest.raises(AttemptNotFound):
        await services.sign_ins.second_factor(
            other.id, waiting.attempt.id, code=pyotp.TOTP(secret).at(clock.now()), client=CLIENT
        )

    assert await count_sessions(services, tenant) == 0


async def test_a_user_suspended_while_waiting_cannot_complete(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = await add_user(services, tenant)
    secret = await enable_totp(services, tenant, user)
    waiting = await sign_in(services, tenant)
    await services.users.set_state(tenant.id, user.id, UserState.SUSPENDED, by="admin")

    with pytest.raises(AuthenticationFailed):
        await services.sign_ins.second_factor(
            tenant.id, waiting.attempt.id, code=pyotp.TOTP(secret).at(clock.now()), client=CLIENT
        )

    assert await count_sessions(services, tenant) == 0


# Sign-up


async def test_sign_up_creates_the_user_and_a_first_session(
    services: Services, tenant: Tenant
) -> None:
    new = NewUser(
        username="dave", password=PASSWORD, emails=(Email("Dave@Example.org"),), name="Dave"
    )

    result = await services.sign_ups.sign_up_password(tenant.id, new, client=CLIENT)

    user = await services.users.get(tenant.id, result.user.id)
    assert (user.username, user.name, user.primary_email) == ("dave", "Dave", "Dave@Example.org")
    assert result.attempt.status is SignUpStatus.COMPLETE
    async with services.deps.store.unit_of_work(write=False) as uow:
        stored_attempt = await uow.sign_ups.get(tenant.id, result.attempt.id)
    assert stored_attempt is not None
    assert stored_attempt.user_id == user.id
    assert stored_attempt.status is SignUpStatus.COMPLETE
    session = (await services.sessions.get(tenant.id, result.issued.record.session.id)).session
    assert session.user_id == user.id
    assert session.sign_up_attempt_id == result.attempt.id
    assert session.sign_in_attempt_id is None
    assert method_names(session) == [("password", AAL.AAL1)]
    authenticated = await services.sessions.authenticate(tenant.id, result.issued.token)
    assert authenticated.record.user.id == user.id
    signed_in = await sign_in(services, tenant, identifier="dave@example.org")
    assert signed_in.issued is not None


@pytest.mark.parametrize(
    ("username", "email", "field"),
    [
        ("ALICE", "new@example.org", "username"),
        ("newbie", "Alice@EXAMPLE.com", "email"),
        ("alice@example.com", None, "username"),
        ("newbie", "Bob.Builder@example.net", "email"),
    ],
)
async def test_sign_up_with_a_taken_name_writes_nothing(
    services: Services, tenant: Tenant, username: str, email: str | None, field: str
) -> None:
    await add_user(services, tenant, "alice", emails=("alice@example.com",))
    await add_user(services, tenant, "bob.builder@example.net")
    new = NewUser(
        username=username,
        password=PASSWORD,
        emails=() if email is None else (Email(email),),
    )

    with pytest.raises(Conflict) as caught:
        await services.sign_ups.sign_up_password(tenant.id, new, client=CLIENT)

    assert caught.value.field == field
    assert "already taken" in caught.value.message
    async with services.deps.store.unit_of_work(write=False) as uow:
        users, user_total = await uow.users.list_page(tenant.id, offset=0, limit=50)
        _, sign_up_total = await uow.sign_ups.list_page(tenant.id, offset=0, limit=50)
    assert user_total == 2
    assert sorted(u.username or "" for u in users) == ["alice", "bob.builder@example.net"]
    assert sign_up_total == 0
    assert await count_sessions(services, tenant) == 0
    assert await count_devices(services, tenant) == 0


async def test_the_same_username_in_another_tenant_is_free(
    services: Services, tenant: Tenant
) -> None:
    other = (await services.tenants.create(slug=unique_slug())).tenant
    await add_user(services, other, "alice", emails=("alice@example.com",))

    result = await services.sign_ups.sign_up_password(
        tenant.id,
        NewUser(username="alice", password=PASSWORD, emails=(Email("alice@example.com"),)),
        client=CLIENT,
    )

    assert result.user.tenant_id == tenant.id
    assert result.issued.record.session.tenant_id == tenant.id
    assert result.user.id != uuid.UUID(int=0)
