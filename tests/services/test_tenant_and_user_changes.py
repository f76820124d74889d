"""Tenant and user changes made whole in the core: the new state in the same transaction as the
rest of an update, tenant creation from a name with its environment, the delete guard,
read-modify-writes that wait for a concurrent change instead of overwriting it, and refusals that
name no stored value."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from sessiond.domain.errors import Conflict, InvalidInput
from sessiond.domain.listing import SessionQuery, SessionState
from sessiond.domain.oauth import ProviderKey
from sessiond.domain.session import EndReason
from sessiond.domain.tenant import Environment, LifetimeChange, Tenant
from sessiond.domain.user import UserState
from sessiond.services.container import Services
from sessiond.services.providers import ProviderChanges
from sessiond.services.users import UserChanges
from tests.helpers.tenants import unique_slug
from tests.helpers.users import PASSWORD, add_user, count_sessions, sign_in


async def test_an_update_that_suspends_ends_the_sessions_with_it(
    services: Services, tenant: Tenant
) -> None:
    user = await add_user(services, tenant)
    await sign_in(services, tenant)
    changes = UserChanges(name="Alice S.", state=UserState.SUSPENDED)
    updated = await services.users.update(tenant.id, user.id, changes, by="admin")
    assert updated.state is UserState.SUSPENDED
    assert updated.name == "Alice S."
    assert await count_sessions(services, tenant, SessionState.LIVE) == 0
    [ended] = (
        await services.sessions.list_keyset(
            SessionQuery(tenant.id, state=SessionState.ALL), size=10
        )
    ).items
    assert ended.session.end_reason is EndReason.USER_SUSPENDED
    revived = await services.users.update(
        tenant.id, user.id, UserChanges(state=UserState.ACTIVE), by="admin"
    )
    assert revived.state is UserState.ACTIVE


async def test_a_refused_update_suspends_nothing(services: Services, tenant: Tenant) -> None:
    await add_user(services, tenant, "taken", emails=("taken@example.com",))
    user = await add_user(services, tenant)
    await sign_in(services, tenant)
    changes = UserChanges(username="taken@example.com", state=UserState.SUSPENDED)
    with pytest.raises(Conflict):
        await services.users.update(tenant.id, user.id, changes, by="admin")
    assert (await services.users.get(tenant.id, user.id)).state is UserState.ACTIVE
    assert await count_sessions(services, tenant, SessionState.LIVE) == 1


async def test_a_tenant_made_from_a_name_keeps_its_environment(services: Services) -> None:
    name = f"Shop {unique_slug()}!"
    created = await services.tenants.create(name=name, environment=Environment.STAGING)
    stored = await services.tenants.get(created.tenant.id)
    assert stored.environment is Environment.STAGING
    assert stored.slug == name.lower().replace(" ", "-").rstrip("!")
    default = await services.tenants.create(slug=unique_slug())
    assert (await services.tenants.get(default.tenant.id)).environment is Environment.PRODUCTION
    with pytest.raises(InvalidInput):
        await services.tenants.create()


async def test_a_protected_tenant_is_not_deleted(services: Services, tenant: Tenant) -> None:
    with pytest.raises(Conflict):
        await services.tenants.delete(tenant.id, protected={tenant.slug})
    assert (await services.tenants.get(tenant.id)).slug == tenant.slug
    await services.tenants.delete(tenant.id, protected={"someone-else"})


async def test_a_protected_tenant_keeps_its_slug(services: Services, tenant: Tenant) -> None:
    """A door serving the tenant by slug keeps its id for the process: the slug may not move."""
    with pytest.raises(Conflict):
        await services.tenants.rename(tenant.id, slug=f"{tenant.slug}-x", protected={tenant.slug})
    renamed = await services.tenants.rename(tenant.id, name="New name", protected={tenant.slug})
    assert (renamed.slug, renamed.name) == (tenant.slug, "New name")
    moved = await services.tenants.rename(
        tenant.id, slug=f"{tenant.slug}-y", protected={"someone-else"}
    )
    assert moved.slug == f"{tenant.slug}-y"


async def _waits_for_a_held_change(
    services: Services,
    tenant: Tenant,
    change: Callable[[], Awaitable[object]],
) -> None:
    """Holds the tenant row, starts `change`, renames the tenant meanwhile and commits: a change
    that read before the lock would write the old name back."""
    async with services.deps.store.unit_of_work() as uow:
        await uow.tenants.lock(tenant.id)
        task = asyncio.create_task(change())
        await asyncio.sleep(0.3)
        current = await uow.tenants.get(tenant.id)
        assert current is not None
        await uow.tenants.update(replace(current, name="Renamed meanwhile"))
        await uow.commit()
    await task
    assert (await services.tenants.get(tenant.id)).name == "Renamed meanwhile"


async def test_tenant_changes_wait_for_the_row_lock(services: Services, tenant: Tenant) -> None:
    tenants = services.tenants
    await _waits_for_a_held_change(
        services, tenant, lambda: tenants.rename(tenant.id, slug=unique_slug())
    )
    await _waits_for_a_held_change(
        services,
        tenant,
        lambda: tenants.change_lifetimes(
            tenant.id, LifetimeChange(max_lifetime=timedelta(hours=2))
        ),
    )
    stored = await tenants.get(tenant.id)
    assert stored.settings.max_lifetime == timedelta(hours=2)


async def test_a_provider_update_waits_for_the_row_lock(services: Services, tenant: Tenant) -> None:
    providers = services.providers
    provider = await providers.create(tenant.id, ProviderKey.GITHUB, ProviderChanges())
    async with services.deps.store.unit_of_work() as uow:
        held = await uow.providers.get(tenant.id, provider.id, lock=True)
        assert held is not None
        task = asyncio.create_task(
            providers.update(tenant.id, provider.id, ProviderChanges(enabled=True))
        )
        await asyncio.sleep(0.3)
        await uow.providers.update(replace(held, client_id="set-meanwhile"))
        await uow.commit()
    await task
    stored = await providers.get(tenant.id, provider.id)
    assert stored.client_id == "set-meanwhile"
    assert stored.enabled


async def test_a_conflict_names_no_stored_value(services: Services, tenant: Tenant) -> None:
    first = await add_user(services, tenant)
    with pytest.raises(Conflict) as caught:
        await add_user(services, tenant, password="another long password")

    chain = []
    cause: BaseException | None = caught.value
    while cause is not None:
        chain.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    text = "\n".join(chain)
    assert first.password_hash is not None
    assert "$argon2" not in text
    assert PASSWORD not in text
