"""Tenants and their secret keys."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field, replace

from sessiond.domain.apikey import ApiKey
from sessiond.domain.errors import AuthenticationFailed, Conflict, InvalidInput, TenantNotFound
from sessiond.domain.ids import new_id
from sessiond.domain.tenant import (
    DEFAULT_TENANT_SLUG,
    Environment,
    LifetimeChange,
    SessionSettings,
    Tenant,
    check_slug,
    slug_from_name,
)
from sessiond.domain.tokens import digest, new_platform_key, new_public_key, new_secret_key
from sessiond.domain.user import NAME_MAX_LENGTH, check_text
from sessiond.infra.token_cache import Owner
from sessiond.services import audit
from sessiond.services.context import Deps
from sessiond.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class NewKey:
    key: ApiKey
    raw: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class NewTenant:
    tenant: Tenant
    secret_key: NewKey


class TenantService:
    def __init__(self, *, deps: Deps) -> None:
        self._deps = deps

    async def create(
        self,
        *,
        slug: str | None = None,
        name: str | None = None,
        settings: SessionSettings | None = None,
        environment: Environment = Environment.PRODUCTION,
    ) -> NewTenant:
        """A tenant and its first secret key; without a slug, one is made from the name."""
        if slug is None:
            if not name:
                raise InvalidInput("a tenant needs a slug or a name", field="slug")
            slug = slug_from_name(name)
        now = self._deps.clock.now()
        tenant = Tenant(
            id=new_id(),
            slug=check_slug(slug),
            name=check_text(name or slug, field="name", max_length=NAME_MAX_LENGTH),
            public_key=new_public_key(),
            created_at=now,
            updated_at=now,
            settings=settings or SessionSettings(),
            environment=environment,
        )
        async with self._deps.store.unit_of_work() as uow:
            await uow.tenants.add(tenant)
            key = await self._add_key(uow, tenant.id)
            await audit.record(uow, self._deps, "tenants.create", tenant_id=tenant.id)
            await uow.commit()
        return NewTenant(tenant, key)

    async def ensure_default(self) -> Tenant | None:
        """An empty database gets the tenant `default` (`sessiond keys create` gives it a key).

        Several nodes may start at once: the one that loses the race reads the winner's tenant.
        """
        async with self._deps.store.unit_of_work() as uow:
            if await uow.tenants.any_exist():
                return await uow.tenants.get_by_slug(DEFAULT_TENANT_SLUG)
        now = self._deps.clock.now()
        tenant = Tenant(
            id=new_id(),
            slug=DEFAULT_TENANT_SLUG,
            name="Default",
            public_key=new_public_key(),
            created_at=now,
            updated_at=now,
        )
        try:
            async with self._deps.store.unit_of_work() as uow:
                await uow.tenants.add(tenant)
                await uow.commit()
        except Conflict:
            async with self._deps.store.unit_of_work(write=False) as uow:
                return await uow.tenants.get_by_slug(DEFAULT_TENANT_SLUG)
        return tenant

    async def get(self, tenant_id: uuid.UUID) -> Tenant:
        return await known_tenant(self._deps, tenant_id)

    async def get_by_slug(self, slug: str) -> Tenant:
        tenant = await _cached(
            self._deps, f"slug:{slug}", lambda uow: uow.tenants.get_by_slug(slug)
        )
        if tenant is None:
            raise TenantNotFound(f"tenant {slug[:64]!r} does not exist")
        return tenant

    async def get_by_public_key(self, public_key: str) -> Tenant:
        tenant = await _cached(
            self._deps, f"key:{public_key}", lambda uow: uow.tenants.get_by_public_key(public_key)
        )
        if tenant is None:
            raise TenantNotFound("no tenant has that public key")
        return tenant

    async def list_all(self) -> list[Tenant]:
        async with self._deps.store.unit_of_work(write=False) as uow:
            return await uow.tenants.list_all()

    async def create_secret_key(self, tenant_id: uuid.UUID) -> NewKey:
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            key = await self._add_key(uow, tenant_id)
            await audit.record(
                uow, self._deps, "keys.create", tenant_id=tenant_id, target=key.key.id
            )
            await uow.commit()
        return key

    async def create_platform_key(self) -> NewKey:
        async with self._deps.store.unit_of_work() as uow:
            key = await self._add_key(uow, None)
            await audit.record(
                uow, self._deps, "keys.create_platform", tenant_id=None, target=key.key.id
            )
            await uow.commit()
        return key

    async def list_keys(self, tenant_id: uuid.UUID) -> list[ApiKey]:
        """The tenant's secret keys, oldest first, revoked ones included (digests only)."""
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            return await uow.keys.list_for_tenant(tenant_id)

    async def revoke_key(self, tenant_id: uuid.UUID, key_id: uuid.UUID) -> bool:
        """Revokes one of the tenant's live keys now; False if it has no such live key."""
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            revoked = await uow.keys.revoke(tenant_id, key_id, at=self._deps.clock.now())
            if revoked:
                await audit.record(
                    uow, self._deps, "keys.revoke", tenant_id=tenant_id, target=key_id
                )
            await uow.commit()
        return revoked

    async def authenticate_key(self, raw: str) -> ApiKey:
        """The live key a raw secret belongs to; `AuthenticationFailed` for unknown or revoked."""
        async with self._deps.store.unit_of_work(write=False) as uow:
            key = await uow.keys.get_by_digest(digest(raw))
        if key is None or key.is_revoked:
            raise AuthenticationFailed("the secret key is not valid")
        return key

    async def rename(
        self,
        tenant_id: uuid.UUID,
        *,
        name: str | None = None,
        slug: str | None = None,
        protected: Collection[str] = (),
    ) -> Tenant:
        """Changes the name and/or slug; a slug another tenant has is a `Conflict`, and so is a
        new slug for a tenant whose slug is `protected` (one another front door serves)."""
        async with self._deps.store.unit_of_work() as uow:
            tenant = await require_tenant(uow, tenant_id, lock=True)
            if slug is not None and slug != tenant.slug and tenant.slug in protected:
                raise Conflict(
                    f"tenant {tenant.slug!r} is served by another front door", field="slug"
                )
            updated = replace(
                tenant,
                name=tenant.name
                if name is None
                else check_text(name, field="name", max_length=NAME_MAX_LENGTH),
                slug=tenant.slug if slug is None else check_slug(slug),
                updated_at=self._deps.clock.now(),
            )
            await uow.tenants.update(updated)
            await audit.record(uow, self._deps, "tenants.rename", tenant_id=tenant_id)
            await uow.commit()
        return updated

    async def change_lifetimes(self, tenant_id: uuid.UUID, change: LifetimeChange) -> Tenant:
        """Applies `change` (switches and values, as pxyz's door sends them)."""
        return await self.change_settings(tenant_id, change.applied_to)

    async def change_settings(
        self, tenant_id: uuid.UUID, change: Callable[[SessionSettings], SessionSettings]
    ) -> Tenant:
        """Gives the tenant the settings `change` makes of its current ones, under the tenant's
        lock. Lifetimes apply to live sessions at once: the inactivity timeout because liveness
        reads it, the maximum because live sessions that would now outlive it are cut down."""
        async with self._deps.store.unit_of_work() as uow:
            tenant = await require_tenant(uow, tenant_id, lock=True)
            settings = change(tenant.settings)
            now = self._deps.clock.now()
            updated = replace(tenant, settings=settings, updated_at=now)
            await uow.tenants.update(updated)
            if settings.max_lifetime != tenant.settings.max_lifetime:
                await uow.sessions.cap_lifetime(tenant_id, lifetime=settings.max_lifetime, now=now)
            await audit.record(uow, self._deps, "tenants.settings", tenant_id=tenant_id)
            await uow.commit()
        return updated

    async def delete(self, tenant_id: uuid.UUID, *, protected: Collection[str] = ()) -> None:
        """Deletes the tenant with everything it owns (users, sessions, keys, attempts). A
        tenant whose slug is `protected` (one another front door serves) is a `Conflict`."""
        async with self._deps.store.unit_of_work() as uow:
            tenant = await require_tenant(uow, tenant_id, lock=True)
            if tenant.slug in protected:
                raise Conflict(
                    f"tenant {tenant.slug!r} is served by another front door", field="id"
                )
            if not await uow.tenants.delete(tenant_id):
                raise TenantNotFound(f"tenant {tenant_id} does not exist")
            await uow.secrets.delete(signing_secret_name(tenant_id))
            await audit.record(uow, self._deps, "tenants.delete", tenant_id=tenant_id)
            await uow.commit()

    async def rotate_secret_key(self, tenant_id: uuid.UUID) -> NewKey:
        """Revokes every secret key of the tenant and issues one new one, in one transaction."""
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            await uow.keys.revoke_all_for_tenant(tenant_id, at=self._deps.clock.now())
            key = await self._add_key(uow, tenant_id)
            await audit.record(
                uow, self._deps, "keys.rotate", tenant_id=tenant_id, target=key.key.id
            )
            await uow.commit()
        return key

    async def _add_key(self, uow: UnitOfWork, tenant_id: uuid.UUID | None) -> NewKey:
        issued = new_secret_key() if tenant_id is not None else new_platform_key()
        key = ApiKey(
            id=new_id(),
            tenant_id=tenant_id,
            digest=issued.digest,
            created_at=self._deps.clock.now(),
        )
        await uow.keys.add(key)
        return NewKey(key, issued.raw)


def signing_secret_name(tenant_id: uuid.UUID) -> str:
    """The server secret holding the tenant's JWT signing key (see `services.signing`)."""
    return f"jwt-ed25519-{tenant_id.hex}"


async def known_tenant(deps: Deps, tenant_id: uuid.UUID) -> Tenant:
    """The tenant as `require_tenant` reads it, from this process's cache while the cache is
    believed: a change to a tenant is an invalidation like any other (see `TokenCache`), so a
    cached tenant is never older than a token check's answer may be."""
    tenant = await _cached(deps, f"id:{tenant_id}", lambda uow: uow.tenants.get(tenant_id))
    if tenant is None:
        raise TenantNotFound(f"tenant {tenant_id} does not exist")
    return tenant


async def _cached(
    deps: Deps, key: str, read: Callable[[UnitOfWork], Awaitable[Tenant | None]]
) -> Tenant | None:
    """Only tenants that exist are kept: one created later is read the first time it is asked
    for. The ticket is taken before the read, so an invalidation applied meanwhile wins."""
    cache = deps.tenant_cache
    found = cache.get(key)
    if found is not None:
        return found
    ticket = cache.ticket()
    async with deps.store.unit_of_work(write=False) as uow:
        tenant = await read(uow)
    if tenant is not None:
        cache.put(key, tenant, owner=Owner(tenant.id), ticket=ticket)
    return tenant


async def require_tenant(uow: UnitOfWork, tenant_id: uuid.UUID, *, lock: bool = False) -> Tenant:
    """The tenant; with `lock`, its row stays locked until the unit of work ends (for a
    read-modify-write that must not lose a concurrent change)."""
    if lock:
        await uow.tenants.lock(tenant_id)
    tenant = await uow.tenants.get(tenant_id)
    if tenant is None:
        raise TenantNotFound(f"tenant {tenant_id} does not exist")
    return tenant
