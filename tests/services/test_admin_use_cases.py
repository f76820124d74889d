"""The use cases added for administrators (tenants, providers, attempts, users, stats, JWTs),
on every storage backend."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from sessiond.compose import open_services
from sessiond.domain.attempts import SignInStatus, Strategy
from sessiond.domain.errors import (
    AttemptNotFound,
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    InvalidPageToken,
    NotFound,
    SessionNotLive,
    TenantNotFound,
)
from sessiond.domain.listing import OffsetPage, SessionQuery
from sessiond.domain.oauth import ProviderKey
from sessiond.domain.tenant import LifetimeChange, Tenant
from sessiond.domain.user import Email
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.keyset import PageRequest
from sessiond.services.owners import Owned
from sessiond.services.providers import ProviderChanges
from sessiond.services.sign_in import PasswordSignIn
from sessiond.services.users import NewUser, UserChanges
from sessiond.settings import Settings
from tests.helpers.tenants import unique_slug

PASSWORD = "correct horse battery staple"
CLIENT = Client(user_agent="curl/8.0", ip="198.51.100.4")


async def test_rotating_revokes_every_old_key(services: Services) -> None:
    created = await services.tenants.create(slug=unique_slug())
    second = await services.tenants.create_secret_key(created.tenant.id)
    fresh = await services.tenants.rotate_secret_key(created.tenant.id)
    for old in (created.secret_key.raw, second.raw):
        with pytest.raises(AuthenticationFailed):
            await services.tenants.authenticate_key(old)
    assert (await services.tenants.authenticate_key(fresh.raw)).tenant_id == created.tenant.id


async def test_rename_refuses_a_taken_slug_and_delete_removes_everything(
    services: Services, tenant: Tenant
) -> None:
    other = (await services.tenants.create(slug=unique_slug())).tenant
    with pytest.raises(Conflict):
        await services.tenants.rename(other.id, slug=tenant.slug)
    renamed = await services.tenants.rename(other.id, name="Other Co")
    assert renamed.name == "Other Co"
    assert renamed.slug == other.slug
    await services.sign_ups.sign_up_password(
        other.id, NewUser(username="u", password=PASSWORD), client=CLIENT
    )
    await services.signer.sign(other.id, {"x": 1}, ttl=timedelta(minutes=1))
    await services.tenants.delete(other.id)
    with pytest.raises(TenantNotFound):
        await services.tenants.get(other.id)
    with pytest.raises(TenantNotFound):
        await services.tenants.delete(other.id)


async def test_session_lifetimes_apply_to_live_sessions(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    up = await services.sign_ups.sign_up_password(
        tenant.id, NewUser(username="life", password=PASSWORD), client=CLIENT
    )
    session = up.issued.record.session
    await services.tenants.change_lifetimes(
        tenant.id,
        LifetimeChange(max_lifetime=timedelta(minutes=10), inactivity_timeout=timedelta(minutes=3)),
    )
    capped = await services.sessions.get(tenant.id, session.id)
    assert capped.session.expires_at == session.created_at + timedelta(minutes=10)
    clock.advance(timedelta(minutes=4))
    with pytest.raises(SessionNotLive):
        await services.sessions.authenticate(tenant.id, up.issued.token)
    idle_off = LifetimeChange(inactivity_timeout_enabled=False)
    updated = await services.tenants.change_lifetimes(tenant.id, idle_off)
    assert updated.settings.inactivity_timeout is None
    assert updated.settings.max_lifetime == timedelta(minutes=10)
    await services.sessions.authenticate(tenant.id, up.issued.token)


async def test_providers_one_per_key_and_secret_kept(services: Services, tenant: Tenant) -> None:
    made = await services.providers.create(
        tenant.id, ProviderKey.GITLAB, ProviderChanges(enabled=True, client_secret="shh")
    )
    with pytest.raises(Conflict):
        await services.providers.create(tenant.id, ProviderKey.GITLAB, ProviderChanges())
    await services.providers.update(tenant.id, made.id, ProviderChanges(client_id="abc"))
    assert await services.providers.secret(tenant.id, made.id) == "shh"
    assert [p.client_id for p in await services.providers.list(tenant.id)] == ["abc"]
    with pytest.raises(InvalidInput):
        await services.providers.update(
            tenant.id, made.id, ProviderChanges(additional_scopes=["x"] * 65)
        )
    other = (await services.tenants.create(slug=unique_slug())).tenant
    with pytest.raises(NotFound):
        await services.providers.get(other.id, made.id)
    assert await services.owners.tenant_of(Owned.PROVIDER, made.id) == tenant.id
    await services.providers.delete(tenant.id, made.id)
    with pytest.raises(NotFound):
        await services.owners.tenant_of(Owned.PROVIDER, made.id)


async def test_attempts_and_users_walk_in_keyset_pages(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    for n in range(5):
        await services.users.create(tenant.id, NewUser(username=f"user{n}"))
        with pytest.raises(AuthenticationFailed):
            await services.sign_ins.password(
                PasswordSignIn(tenant.id, identifier=f"user{n}", password="wrong", client=CLIENT)
            )
    first, related = await services.attempts.list_sign_ins(tenant.id, PageRequest(2))
    assert first.total == 5
    assert len(related.users) == 2
    second, _ = await services.attempts.list_sign_ins(tenant.id, PageRequest(2, first.next_token))
    third, _ = await services.attempts.list_sign_ins(tenant.id, PageRequest(2, second.next_token))
    walked = [a.identifier for page in (first, second, third) for a in page.items]
    assert walked == [f"user{n}" for n in reversed(range(5))]
    assert third.next_token is None
    back, _ = await services.attempts.list_sign_ins(tenant.id, PageRequest(2, second.prev_token))
    assert back.items == first.items
    users = await services.users.list_page(tenant.id, PageRequest(3))
    assert [u.username for u in users.items] == ["user4", "user3", "user2"]
    with pytest.raises(InvalidPageToken):
        await services.users.list_page(tenant.id, PageRequest(3, first.next_token))
    attempt = first.items[0]
    await services.attempts.delete_sign_in(tenant.id, attempt.id)
    with pytest.raises(AttemptNotFound):
        await services.attempts.get_sign_in(tenant.id, attempt.id)


async def test_user_update_keeps_identifiers_unique(services: Services, tenant: Tenant) -> None:
    await services.users.create(tenant.id, NewUser(emails=(Email("x@example.com"),)))
    user = await services.users.create(tenant.id, NewUser(username="y"))
    with pytest.raises(Conflict):
        await services.users.update(tenant.id, user.id, UserChanges(username="x@example.com"))
    with pytest.raises(InvalidInput):
        await services.users.update(tenant.id, user.id, UserChanges(username=""))
    changed = await services.users.update(
        tenant.id, user.id, UserChanges(name="Why", metadata_public={"a": 1})
    )
    assert (await services.users.get(tenant.id, user.id)) == changed


async def test_sessions_by_day_counts_utc_days(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    for n in range(3):
        await services.sign_ups.sign_up_password(
            tenant.id, NewUser(username=f"d{n}", password=PASSWORD), client=CLIENT
        )
        clock.advance(timedelta(days=1))
    days = await services.stats.sessions_by_day(tenant.id, days=5)
    assert [d.count for d in days] == [0, 1, 1, 1, 0]
    assert days[-1].day == clock.now().date()


async def test_jwts_verify_on_every_node_only_with_their_tenant_and_expire(
    services: Services, settings: Settings, tenant: Tenant, clock: FrozenClock
) -> None:
    other = (await services.tenants.create(slug=unique_slug())).tenant
    token = await services.signer.sign(tenant.id, {"sid": "s"}, ttl=timedelta(seconds=30))
    assert (await services.signer.verify(tenant.id, token))["sid"] == "s"
    another_node = await open_services(settings, clock=clock)
    try:
        assert (await another_node.signer.verify(tenant.id, token))["sid"] == "s"
    finally:
        await another_node.close()
    with pytest.raises(AuthenticationFailed):
        await services.signer.verify(other.id, token)
    clock.advance(timedelta(seconds=31))
    with pytest.raises(AuthenticationFailed):
        await services.signer.verify(tenant.id, token)
    with pytest.raises(InvalidInput):
        await services.signer.sign(tenant.id, {}, ttl=timedelta(hours=2))


async def test_a_jwt_with_an_audience_verifies_only_for_that_audience(
    services: Services, tenant: Tenant
) -> None:
    token = await services.signer.sign(tenant.id, {"aud": "t-1"}, ttl=timedelta(seconds=30))
    assert (await services.signer.verify(tenant.id, token, audience="t-1"))["aud"] == "t-1"
    for audience in (None, "t-2"):
        with pytest.raises(AuthenticationFailed):
            await services.signer.verify(tenant.id, token, audience=audience)


async def test_a_staged_sign_in_completes_once_when_raced(
    services: Services, tenant: Tenant
) -> None:
    await services.users.create(tenant.id, NewUser(username="race", password=PASSWORD))
    attempt = await services.staged.start(
        tenant.id, identifier="race", strategy=Strategy.USERNAME_PASSWORD, client=CLIENT
    )
    assert attempt.user_id is None
    tries = [
        services.staged.attempt_password(tenant.id, attempt.id, password=PASSWORD, client=CLIENT)
        for _ in range(3)
    ]
    results = await asyncio.gather(*tries, return_exceptions=True)
    done = [r for r in results if not isinstance(r, BaseException)]
    assert len(done) == 1
    assert all(isinstance(r, AttemptNotFound) for r in results if r not in done)
    stored, _ = await services.attempts.get_sign_in(tenant.id, attempt.id)
    assert stored.status is SignInStatus.COMPLETE
    assert stored.user_id is not None
    page = await services.sessions.list_offset(SessionQuery(tenant_id=tenant.id), OffsetPage())
    assert page.total == 1
