"""Which changes write which events, once each: second factors turned on and off (TOTP, e-mailed
codes, an operator's reset) and suspensions (however they are made, and made again)."""

from __future__ import annotations

from sessiond.domain.tenant import Tenant
from sessiond.domain.user import UserState
from sessiond.services.container import Services
from sessiond.services.users import ProfileChange
from tests.helpers.events import events_of
from tests.helpers.users import add_user, enable_totp


async def _kinds(services: Services, tenant: Tenant) -> list[tuple[str, str]]:
    """(type, method or user id) of each event, sorted: events of one instant have no order."""
    return sorted(
        (kind, payload.get("method") or payload["user_id"])
        for kind, payload in await events_of(services, tenant)
    )


async def test_second_factors_report_each_change_of_whether_they_are_on(
    services: Services, tenant: Tenant
) -> None:
    user = await add_user(services, tenant)
    await enable_totp(services, tenant, user)  # written behind the services' back: no event
    for _ in range(2):
        await services.two_factor.set_email(tenant.id, user.id, enabled=True)
    assert await _kinds(services, tenant) == [
        ("two_factor.enabled", "email"),
        ("user.created", str(user.id)),
    ]
    await services.users.reset_second_factors(tenant.id, user.id)
    await services.users.reset_second_factors(tenant.id, user.id)
    await services.two_factor.set_email(tenant.id, user.id, enabled=False)
    assert await _kinds(services, tenant) == [
        ("two_factor.disabled", "email"),
        ("two_factor.disabled", "totp"),
        ("two_factor.enabled", "email"),
        ("user.created", str(user.id)),
    ]


async def test_a_user_is_reported_suspended_once_however_it_is_suspended(
    services: Services, tenant: Tenant
) -> None:
    alice = await add_user(services, tenant)
    bob = await add_user(services, tenant, "bob")
    for _ in range(2):
        await services.users.set_state(tenant.id, alice.id, UserState.SUSPENDED, by="op")
    await services.users.set_state(tenant.id, alice.id, UserState.ACTIVE, by="op")
    suspend = ProfileChange(username="bob", state=UserState.SUSPENDED)
    for _ in range(2):
        await services.users.patch_profile(tenant.id, bob.id, lambda _user: suspend)
    suspended = [who for kind, who in await _kinds(services, tenant) if kind == "user.suspended"]
    assert suspended == sorted([str(alice.id), str(bob.id)])
