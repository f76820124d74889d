"""Races: a change made while a sign-in is under way, or two changes at once, on every backend.
Each test pins down that nothing is lost and no rule is broken."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import pyotp
import pytest

from sessiond.domain.attempts import SignInStatus
from sessiond.domain.errors import (
    AttemptNotFound,
    AuthenticationFailed,
    Conflict,
    SecondFactorFailed,
    UserSuspended,
)
from sessiond.domain.listing import SessionState
from sessiond.domain.tenant import Tenant
from sessiond.domain.user import Email, UserState
from sessiond.infra.clock import FrozenClock
from sessiond.infra.passwords import PasswordHasher
from sessiond.services.container import Services
from sessiond.services.sign_in import SignInPipeline
from sessiond.services.users import NewUser
from tests.helpers.users import (
    CLIENT,
    PASSWORD,
    add_user,
    count_sessions,
    enable_totp,
    met_device,
    sign_in,
    stored_sign_ins,
    wrong_code,
)


class _InterruptedHasher(PasswordHasher):
    """Verifies the password, then lets an administrator act before the sign-in goes on."""

    def __init__(self, meanwhile: Callable[[], Awaitable[None]]) -> None:
        super().__init__(time_cost=1, memory_cost=1024)
        self._meanwhile = meanwhile

    async def verify(self, password_hash: str, password: str, *, prehashed: bool = False) -> bool:
        ok = await super().verify(password_hash, password, prehashed=prehashed)
        await self._meanwhile()
        return ok


@pytest.fixture(params=["first of its device", "device met before"])
async def raced(
    request: pytest.FixtureRequest, services: Services, tenant: Tenant
) -> Callable[[Callable[[], Awaitable[None]]], Services]:
    """`_racing` on a tenant new to the client's device, whose sign-in goes the whole way in a
    unit of work, and on one that met it before, which PostgreSQL writes in one statement."""
    if request.param == "device met before":
        await met_device(services, tenant)
    return lambda meanwhile: _racing(services, meanwhile)


def _racing(services: Services, meanwhile: Callable[[], Awaitable[None]]) -> Services:
    """The same store and services, but sign-in pauses for `meanwhile` after the password check."""
    deps = dataclasses.replace(services.deps, passwords=_InterruptedHasher(meanwhile))
    pipeline = SignInPipeline(deps=deps, guesses=services.sign_ins.guesses)
    return dataclasses.replace(services, sign_ins=pipeline)


async def test_a_user_suspended_during_sign_in_gets_no_session(
    services: Services, tenant: Tenant, raced: Callable[[Callable[[], Awaitable[None]]], Services]
) -> None:
    user = await add_user(services, tenant)

    async def suspend() -> None:
        await services.users.set_state(tenant.id, user.id, UserState.SUSPENDED, by="admin")

    racing = raced(suspend)

    with pytest.raises(UserSuspended):
        await sign_in(racing, tenant)

    assert await count_sessions(services, tenant) == 0
    [attempt] = await stored_sign_ins(services, tenant)
    assert attempt.status is SignInStatus.FAILED
    assert attempt.failure_reason == "user_suspended"
    await services.users.set_state(tenant.id, user.id, UserState.ACTIVE, by="admin")
    assert await count_sessions(services, tenant, SessionState.LIVE) == 0


async def test_a_password_changed_during_sign_in_wins(
    services: Services, tenant: Tenant, raced: Callable[[Callable[[], Awaitable[None]]], Services]
) -> None:
    user = await add_user(services, tenant)

    async def change() -> None:
        await services.users.change_password(tenant.id, user.id, "a brand new password")

    racing = raced(change)

    with pytest.raises(AuthenticationFailed):
        await sign_in(racing, tenant)
    assert await count_sessions(services, tenant) == 0


@pytest.mark.parametrize("round_", range(5))
async def test_concurrent_suspend_and_password_change_lose_nothing(
    services: Services, tenant: Tenant, round_: int
) -> None:
    user = await add_user(services, tenant, username=f"racer{round_}")

    await asyncio.gather(
        services.users.change_password(tenant.id, user.id, "a brand new password"),
        services.users.set_state(tenant.id, user.id, UserState.SUSPENDED, by="admin"),
    )

    stored = await services.users.get(tenant.id, user.id)
    assert stored.state is UserState.SUSPENDED
    assert await services.deps.passwords.verify(stored.password_hash or "", "a brand new password")


async def test_concurrent_wrong_codes_get_five_tries_in_all(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = await add_user(services, tenant)
    secret = await enable_totp(services, tenant, user)
    waiting = await sign_in(services, tenant)
    code = wrong_code(secret, clock)

    results = await asyncio.gather(
        *(
            services.sign_ins.second_factor(tenant.id, waiting.attempt.id, code=code, client=CLIENT)
            for _ in range(20)
        ),
        return_exceptions=True,
    )

    checked = [r for r in results if isinstance(r, SecondFactorFailed)]
    turned_away = [r for r in results if isinstance(r, AttemptNotFound)]
    assert len(checked) == 5
    assert len(turned_away) == 15
    assert sum(1 for r in checked if r.exhausted) == 1
    [attempt] = await stored_sign_ins(services, tenant)
    assert attempt.status is SignInStatus.FAILED
    assert attempt.factor_tries == 5
    with pytest.raises(AttemptNotFound):
        await services.sign_ins.second_factor(
            tenant.id, waiting.attempt.id, code=pyotp.TOTP(secret).at(clock.now()), client=CLIENT
        )


async def test_totp_switched_on_during_sign_in_still_asks_for_it(
    services: Services, tenant: Tenant, raced: Callable[[Callable[[], Awaitable[None]]], Services]
) -> None:
    user = await add_user(services, tenant)

    async def enrol() -> None:
        await enable_totp(services, tenant, user)

    result = await sign_in(raced(enrol), tenant)

    assert result.issued is None
    assert result.attempt.status is SignInStatus.NEEDS_FACTOR_TWO
    assert await count_sessions(services, tenant) == 0


async def test_a_totp_user_unsuspended_during_sign_in_still_gives_a_code(
    services: Services, tenant: Tenant
) -> None:
    user = await add_user(services, tenant)
    await enable_totp(services, tenant, user)
    await services.users.set_state(tenant.id, user.id, UserState.SUSPENDED, by="admin")

    async def lift() -> None:
        await services.users.set_state(tenant.id, user.id, UserState.ACTIVE, by="admin")

    result = await sign_in(_racing(services, lift), tenant)

    assert result.issued is None
    assert result.attempt.status is SignInStatus.NEEDS_FACTOR_TWO
    assert await count_sessions(services, tenant) == 0


@pytest.mark.parametrize("password", [PASSWORD, "not the password"])
async def test_a_user_deleted_during_sign_in_is_a_failed_attempt(
    services: Services,
    tenant: Tenant,
    password: str,
    raced: Callable[[Callable[[], Awaitable[None]]], Services],
) -> None:
    user = await add_user(services, tenant)

    async def delete() -> None:
        await services.users.delete(tenant.id, user.id)

    with pytest.raises(AuthenticationFailed):
        await sign_in(raced(delete), tenant, password=password)

    [attempt] = await stored_sign_ins(services, tenant)
    assert attempt.status is SignInStatus.FAILED
    assert attempt.failure_reason == "invalid_credentials"
    assert attempt.user_id is None


@pytest.mark.parametrize("round_", range(3))
async def test_one_identifier_is_never_two_users(
    services: Services, tenant: Tenant, round_: int
) -> None:
    address = f"shared{round_}@example.com"
    results = await asyncio.gather(
        services.users.create(tenant.id, NewUser(username=address, password=PASSWORD)),
        services.users.create(
            tenant.id,
            NewUser(username=f"other{round_}", password=PASSWORD, emails=(Email(address),)),
        ),
        return_exceptions=True,
    )

    created = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(created) == 1
    assert len(refused) == 1
    assert isinstance(refused[0], Conflict)
