"""Login and registration flows on attempt records, the AAL2 step-up, and the profile update,
on every storage backend."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pyotp
import pytest

from sessiond.domain.attempts import SignInStatus
from sessiond.domain.errors import (
    AlreadySignedIn,
    AttemptExpired,
    AttemptNotFound,
    Conflict,
    InvalidInput,
    SecondFactorFailed,
    SessionNotLive,
)
from sessiond.domain.listing import OffsetPage, SessionQuery
from sessiond.domain.session import AAL, EndReason
from sessiond.domain.tenant import Tenant
from sessiond.domain.user import Email, Totp, User, UserState
from sessiond.infra.clock import FrozenClock
from sessiond.infra.totp import backup_code_digest, generate_backup_codes, new_totp_secret
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.issuing import IssuedSession
from sessiond.services.sign_up import SignUpResult
from sessiond.services.users import NewUser, ProfileChange
from tests.helpers.users import PASSWORD, add_user

CLIENT = Client(user_agent="curl/8.0", ip="203.0.113.9")


async def _with_totp(services: Services, user: User) -> str:
    secret = new_totp_secret()
    async with services.deps.store.unit_of_work() as uow:
        await uow.users.update(replace(user, totp=Totp(secret=secret, enabled=True)))
        await uow.commit()
    return secret


async def _login(services: Services, tenant: Tenant, identifier: str = "alice") -> IssuedSession:
    flow = await services.flows.start_login(
        tenant.id, aal=AAL.AAL1, session_token=None, client=CLIENT
    )
    return await services.flows.sign_in_password(
        tenant.id, flow.id, identifier=identifier, password=PASSWORD, client=CLIENT
    )


async def test_a_login_flow_is_an_open_attempt_until_used(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    await add_user(services, tenant)
    flow = await services.flows.start_login(
        tenant.id, aal=AAL.AAL1, session_token=None, client=CLIENT
    )
    assert flow.status is SignInStatus.NEEDS_IDENTIFIER
    assert flow.requested_aal is AAL.AAL1
    assert (await services.flows.login_flow(tenant.id, flow.id)).id == flow.id
    issued = await services.flows.sign_in_password(
        tenant.id, flow.id, identifier="alice", password=PASSWORD, client=CLIENT
    )
    assert issued.record.session.aal is AAL.AAL1
    with pytest.raises(AttemptNotFound):
        await services.flows.login_flow(tenant.id, flow.id)

    late = await services.flows.start_login(
        tenant.id, aal=AAL.AAL1, session_token=None, client=CLIENT
    )
    clock.advance(timedelta(hours=1))
    with pytest.raises(AttemptExpired):
        await services.flows.sign_in_password(
            tenant.id, late.id, identifier="alice", password=PASSWORD, client=CLIENT
        )


async def test_totp_user_gets_aal1_then_steps_up_once(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = await add_user(services, tenant)
    secret = await _with_totp(services, user)
    issued = await _login(services, tenant)
    assert issued.record.session.aal is AAL.AAL1
    flow = await services.flows.start_login(
        tenant.id, aal=AAL.AAL2, session_token=issued.token, client=CLIENT
    )
    assert flow.step_up_session_id == issued.record.session.id

    with pytest.raises(SecondFactorFailed):
        await services.flows.step_up(
            tenant.id, flow.id, session_token=issued.token, method="totp", code="12345"
        )
    code = pyotp.TOTP(secret).at(clock.now())
    raised = await services.flows.step_up(
        tenant.id, flow.id, session_token=issued.token, method="totp", code=code
    )
    assert raised.session.aal is AAL.AAL2
    assert [m.method for m in raised.session.methods] == ["password", "totp"]
    stored = await services.sessions.get(tenant.id, issued.record.session.id)
    assert stored.session.aal is AAL.AAL2
    assert stored.session.methods == raised.session.methods
    with pytest.raises(AttemptNotFound):
        await services.flows.step_up(
            tenant.id, flow.id, session_token=issued.token, method="totp", code=code
        )

    again = await services.flows.start_login(
        tenant.id, aal=AAL.AAL2, session_token=issued.token, client=CLIENT
    )
    with pytest.raises(SecondFactorFailed):  # the code's step is spent
        await services.flows.step_up(
            tenant.id, again.id, session_token=issued.token, method="totp", code=code
        )


async def test_step_up_with_a_backup_code_and_method_shapes(
    services: Services, tenant: Tenant
) -> None:
    user = await add_user(services, tenant)
    await _with_totp(services, user)
    codes = generate_backup_codes(2)
    await _store_backup_codes(services, user, codes)
    issued = await _login(services, tenant)
    flow = await services.flows.start_login(
        tenant.id, aal=AAL.AAL2, session_token=issued.token, client=CLIENT
    )
    with pytest.raises(SecondFactorFailed):  # a backup code is not a TOTP code
        await services.flows.step_up(
            tenant.id, flow.id, session_token=issued.token, method="totp", code=codes[0]
        )
    with pytest.raises(InvalidInput):
        await services.flows.step_up(
            tenant.id, flow.id, session_token=issued.token, method="sms", code=codes[0]
        )
    raised = await services.flows.step_up(
        tenant.id, flow.id, session_token=issued.token, method="lookup_secret", code=codes[0]
    )
    assert raised.session.methods[-1].method == "lookup_secret"


async def _store_backup_codes(services: Services, user: User, codes: list[str]) -> None:
    digests = [backup_code_digest(code, salt=user.id.bytes) for code in codes]
    async with services.deps.store.unit_of_work() as uow:
        await uow.users.replace_backup_codes(user.tenant_id, user.id, digests)
        await uow.commit()


async def test_step_up_refuses_another_or_an_ended_session(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    user = await add_user(services, tenant)
    secret = await _with_totp(services, user)
    mine, other = await _login(services, tenant), await _login(services, tenant)
    flow = await services.flows.start_login(
        tenant.id, aal=AAL.AAL2, session_token=mine.token, client=CLIENT
    )
    code = pyotp.TOTP(secret).at(clock.now())
    with pytest.raises(AttemptNotFound):
        await services.flows.step_up(
            tenant.id, flow.id, session_token=other.token, method="totp", code=code
        )
    await services.sessions.end(
        tenant.id, mine.record.session.id, reason=EndReason.SIGNED_OUT, by=None
    )
    with pytest.raises(SessionNotLive):
        await services.flows.step_up(
            tenant.id, flow.id, session_token=mine.token, method="totp", code=code
        )


async def test_aal2_needs_a_session_and_a_second_factor(services: Services, tenant: Tenant) -> None:
    await add_user(services, tenant)
    with pytest.raises(SessionNotLive):
        await services.flows.start_login(tenant.id, aal=AAL.AAL2, session_token=None, client=CLIENT)
    issued = await _login(services, tenant)
    with pytest.raises(InvalidInput):
        await services.flows.start_login(
            tenant.id, aal=AAL.AAL2, session_token=issued.token, client=CLIENT
        )
    with pytest.raises(InvalidInput):
        await services.flows.start_login(tenant.id, aal=AAL.AAL3, session_token=None, client=CLIENT)


async def test_a_live_session_needs_refresh_for_a_new_aal1_flow(
    services: Services, tenant: Tenant
) -> None:
    await add_user(services, tenant)
    issued = await _login(services, tenant)
    with pytest.raises(AlreadySignedIn):
        await services.flows.start_login(
            tenant.id, aal=AAL.AAL1, session_token=issued.token, client=CLIENT
        )
    refreshed = await services.flows.start_login(
        tenant.id, aal=AAL.AAL1, session_token=issued.token, client=CLIENT, refresh=True
    )
    assert refreshed.requested_aal is AAL.AAL1
    await services.sessions.end(
        tenant.id, issued.record.session.id, reason=EndReason.SIGNED_OUT, by=None
    )
    stale = await services.flows.start_login(
        tenant.id, aal=AAL.AAL1, session_token=issued.token, client=CLIENT
    )
    assert stale.status is SignInStatus.NEEDS_IDENTIFIER


async def test_registration_flow_creates_the_user_once(services: Services, tenant: Tenant) -> None:
    flow = await services.flows.start_registration(tenant.id, client=CLIENT)
    new = NewUser(username="bob", password=PASSWORD, emails=(Email("bob@example.com"),))
    result = await services.flows.sign_up_password(tenant.id, flow.id, new, client=CLIENT)
    assert result.user.username == "bob"
    assert result.issued.record.session.aal is AAL.AAL1
    with pytest.raises(AttemptNotFound):
        await services.flows.sign_up_password(tenant.id, flow.id, new, client=CLIENT)


async def test_concurrent_submissions_of_one_login_flow_sign_in_once(
    services: Services, tenant: Tenant
) -> None:
    user = await add_user(services, tenant)
    flow = await services.flows.start_login(
        tenant.id, aal=AAL.AAL1, session_token=None, client=CLIENT
    )
    results = await asyncio.gather(
        *(
            services.flows.sign_in_password(
                tenant.id, flow.id, identifier="alice", password=PASSWORD, client=CLIENT
            )
            for _ in range(3)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, IssuedSession) for r in results) == 1, results
    assert sum(isinstance(r, AttemptNotFound) for r in results) == 2, results
    page = await services.sessions.list_offset(
        SessionQuery(tenant_id=tenant.id, user_id=user.id), OffsetPage()
    )
    assert page.total == 1


async def test_concurrent_submissions_of_one_registration_flow_create_one_user(
    services: Services, tenant: Tenant
) -> None:
    flow = await services.flows.start_registration(tenant.id, client=CLIENT)
    results = await asyncio.gather(
        *(
            services.flows.sign_up_password(
                tenant.id, flow.id, NewUser(username=f"racer{i}", password=PASSWORD), client=CLIENT
            )
            for i in range(3)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, SignUpResult) for r in results) == 1, results
    assert sum(isinstance(r, AttemptNotFound) for r in results) == 2, results
    users, total = await services.users.list_offset(tenant.id, offset=0, limit=10)
    assert total == 1
    page = await services.sessions.list_offset(SessionQuery(tenant_id=tenant.id), OffsetPage())
    assert [r.user.id for r in page.items] == [u.id for u in users]


async def test_my_other_sessions_leave_out_the_current_one(
    services: Services, tenant: Tenant
) -> None:
    user = await add_user(services, tenant)
    first, second = await _login(services, tenant), await _login(services, tenant)
    query = SessionQuery(
        tenant_id=tenant.id, user_id=user.id, exclude_session_id=first.record.session.id
    )
    page = await services.sessions.list_offset(query, OffsetPage())
    assert [r.session.id for r in page.items] == [second.record.session.id]
    assert page.total == 1


async def test_profile_update_keeps_verification_and_refuses_anothers_identifier(
    services: Services, tenant: Tenant
) -> None:
    alice = await add_user(services, tenant, emails=("alice@example.com",))
    await add_user(services, tenant, "bob", emails=("bob@example.com",))
    async with services.deps.store.unit_of_work() as uow:
        await uow.users.update(replace(alice, emails=(Email("alice@example.com", True),)))
        await uow.commit()
    change = ProfileChange(
        username="alice2",
        emails=(Email("alice@example.com"), Email("a2@example.com")),
        traits={"username": "alice2"},
        metadata_admin={"x": 1},
    )
    updated = await services.users.patch_profile(tenant.id, alice.id, lambda _: change)
    assert updated.emails == (Email("alice@example.com", True), Email("a2@example.com", False))
    assert (await services.users.get(tenant.id, alice.id)).metadata_admin == {"x": 1}
    for taken in (
        replace(change, username="bob@example.com"),
        replace(change, emails=(Email("bob@example.com"),)),
        replace(change, username="bob"),
    ):
        with pytest.raises(Conflict):
            await services.users.patch_profile(tenant.id, alice.id, lambda _, taken=taken: taken)
    with pytest.raises(InvalidInput):
        await services.users.patch_profile(tenant.id, alice.id, lambda _: ProfileChange())


async def test_patch_profile_applies_to_the_stored_user_and_writes_all_or_nothing(
    services: Services, tenant: Tenant
) -> None:
    alice = await add_user(services, tenant, emails=("alice@example.com",))
    issued = await _login(services, tenant)

    def refuse(user: User) -> ProfileChange:
        raise InvalidInput("no")

    with pytest.raises(InvalidInput):
        await services.users.patch_profile(tenant.id, alice.id, refuse)
    with pytest.raises(InvalidInput):  # a change failing the core's own checks
        await services.users.patch_profile(
            tenant.id, alice.id, lambda u: ProfileChange(state=UserState.SUSPENDED)
        )
    assert await services.users.get(tenant.id, alice.id) == alice
    assert (
        await services.sessions.get(tenant.id, issued.record.session.id)
    ).session.ended_at is None

    seen: list[User] = []

    def suspend(user: User) -> ProfileChange:
        seen.append(user)
        return ProfileChange(
            username=user.username,
            emails=user.emails,
            traits={"username": "alice"},
            state=UserState.SUSPENDED,
        )

    updated = await services.users.patch_profile(tenant.id, alice.id, suspend, by="admin")
    assert seen == [alice]
    assert updated.state is UserState.SUSPENDED
    assert updated.traits == {"username": "alice"}
    assert await services.users.get(tenant.id, alice.id) == updated
    ended = await services.sessions.get(tenant.id, issued.record.session.id)
    assert ended.session.end_reason is EndReason.USER_SUSPENDED
