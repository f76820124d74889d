"""Users: creation, suspension (which ends their sessions), deletion and password changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sessiond.domain.attempts import SECOND_FACTOR_WINDOW
from sessiond.domain.documents import check_document
from sessiond.domain.errors import Conflict, InvalidInput, UserNotFound
from sessiond.domain.events import (
    two_factor_changed,
    user_created,
    user_deleted,
    user_suspended,
)
from sessiond.domain.ids import new_id
from sessiond.domain.session import EndReason
from sessiond.domain.user import (
    NAME_MAX_LENGTH,
    Email,
    User,
    UserState,
    check_email,
    check_text,
    check_username,
)
from sessiond.infra.passwords import check_password_policy
from sessiond.services import audit
from sessiond.services.context import Deps
from sessiond.services.keyset import KeysetTokens, Page, PageRequest
from sessiond.services.tenants import require_tenant
from sessiond.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class NewUser:
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    emails: tuple[Email, ...] = ()
    name: str = ""
    roles: tuple[str, ...] = ("user",)
    traits: dict[str, Any] = field(default_factory=dict)
    metadata_public: dict[str, Any] | None = None
    metadata_admin: dict[str, Any] | None = None
    state: UserState = UserState.ACTIVE


@dataclass(frozen=True, slots=True)
class UserChanges:
    """Profile fields to change; `None` leaves one as it is (`username=""` removes it). A new
    `state` of suspended ends the user's sessions in the same transaction."""

    name: str | None = None
    username: str | None = None
    metadata_public: dict[str, Any] | None = None
    metadata_admin: dict[str, Any] | None = None
    state: UserState | None = None


@dataclass(frozen=True, slots=True)
class ProfileChange:
    """A new profile for an existing user: identifiers, name, traits and metadata, and a new
    state when `state` is set."""

    username: str | None = None
    emails: tuple[Email, ...] = ()
    name: str = ""
    traits: dict[str, Any] = field(default_factory=dict)
    metadata_public: dict[str, Any] | None = None
    metadata_admin: dict[str, Any] | None = None
    state: UserState | None = None


class UserService:
    def __init__(self, *, deps: Deps) -> None:
        self._deps = deps

    async def create(self, tenant_id: uuid.UUID, new: NewUser) -> User:
        user = await self.build(tenant_id, new)
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            await add_user(uow, user)
            await audit.record(uow, self._deps, "users.create", tenant_id=tenant_id, target=user.id)
            await uow.commit()
        return user

    async def build(self, tenant_id: uuid.UUID, new: NewUser) -> User:
        """A valid, not yet stored user (the password hashed off the event loop)."""
        if new.username is None and not new.emails:
            raise InvalidInput("a user needs a username or an email address", field="username")
        if new.username is not None:
            check_username(new.username)
        for email in new.emails:
            check_email(email.address)
        check_text(new.name, field="name", max_length=NAME_MAX_LENGTH)
        _check_documents(new.traits, new.metadata_public, new.metadata_admin)
        password_hash = None
        if new.password is not None:
            check_password_policy(new.password)
            password_hash = await self._deps.passwords.hash(new.password)
        now = self._deps.clock.now()
        return User(
            id=new_id(),
            tenant_id=tenant_id,
            username=new.username,
            name=new.name,
            emails=new.emails,
            state=new.state,
            roles=new.roles,
            created_at=now,
            updated_at=now,
            password_hash=password_hash,
            traits=new.traits,
            metadata_public=new.metadata_public,
            metadata_admin=new.metadata_admin,
        )

    async def get(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            return await require_user(uow, tenant_id, user_id)

    async def list_page(self, tenant_id: uuid.UUID, request: PageRequest) -> Page[User]:
        """The tenant's users, newest first."""
        tokens = KeysetTokens(self._deps.page_tokens, kind="users", scope=tenant_id)
        cursor = tokens.cursor(request)
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            found, total, more = await uow.users.keyset_page(
                tenant_id, size=request.size, cursor=cursor
            )
        return tokens.page(found, total, more, cursor, lambda u: (u.created_at, u.id))

    async def update(
        self,
        tenant_id: uuid.UUID,
        user_id: uuid.UUID,
        changes: UserChanges,
        *,
        by: str | None = None,
    ) -> User:
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            user = await require_user(uow, tenant_id, user_id, lock=True)
            now = self._deps.clock.now()
            updated = _changed(user, changes, now=now)
            if updated.username is not None and updated.username != user.username:
                await uow.tenants.lock(tenant_id)
                if await uow.users.get_by_email(tenant_id, updated.username):
                    raise Conflict("that username is already taken", field="username")
            await uow.users.update(updated)
            if changes.state is not None and changes.state is not user.state:
                await _state_changed(uow, user, updated, at=now, by=by)
            await audit.record(uow, self._deps, "users.update", tenant_id=tenant_id, target=user_id)
            await uow.commit()
        return updated

    async def find(self, tenant_id: uuid.UUID, identifier: str) -> User:
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            user = await find_by_identifier(uow, tenant_id, identifier)
        if user is None:
            raise UserNotFound("no user has that username or email address")
        return user

    async def list_offset(
        self, tenant_id: uuid.UUID, *, offset: int, limit: int
    ) -> tuple[list[User], int]:
        """One page of the tenant's users, newest first, and how many there are."""
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            return await uow.users.list_page(tenant_id, offset=offset, limit=limit)

    async def set_state(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, state: UserState, *, by: str | None
    ) -> User:
        """Suspending a user ends every session it has; unsuspending restores none of them."""
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            user = await require_user(uow, tenant_id, user_id, lock=True)
            now = self._deps.clock.now()
            updated = replace(user, state=state, updated_at=now)
            await uow.users.update(updated)
            await _state_changed(uow, user, updated, at=now, by=by)
            action = "users.suspend" if state is UserState.SUSPENDED else "users.unsuspend"
            await audit.record(uow, self._deps, action, tenant_id=tenant_id, target=user_id)
            await uow.commit()
        return updated

    async def delete(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """Deletes the user; its sessions go with it."""
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            if not await uow.users.delete(tenant_id, user_id):
                raise UserNotFound(f"user {user_id} does not exist")
            await uow.events.add(user_deleted(tenant_id, user_id, at=self._deps.clock.now()))
            await audit.record(uow, self._deps, "users.delete", tenant_id=tenant_id, target=user_id)
            await uow.commit()

    async def change_password(
        self,
        tenant_id: uuid.UUID,
        user_id: uuid.UUID,
        password: str,
        *,
        end_sessions: bool = False,
        keep: uuid.UUID | None = None,
        by: str | None = None,
    ) -> User:
        """Sets a new password; with `end_sessions`, ends every session of the user but `keep`
        (the caller's current one, when it asks to stay signed in here)."""
        if keep is not None and not end_sessions:
            raise InvalidInput("`keep` only applies when sessions are ended", field="keep")
        check_password_policy(password)
        password_hash = await self._deps.passwords.hash(password)
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            user = await require_user(uow, tenant_id, user_id, lock=True)
            now = self._deps.clock.now()
            updated = replace(user, password_hash=password_hash, updated_at=now)
            await uow.users.update(updated)
            # A sign-in that proved the old password must not finish with a second factor now.
            await uow.sign_ins.fail_waiting(
                tenant_id, user_id, since=now - SECOND_FACTOR_WINDOW, at=now
            )
            if end_sessions:
                await uow.sessions.end(
                    tenant_id,
                    user_id=user_id,
                    except_id=keep,
                    at=now,
                    reason=EndReason.PASSWORD_CHANGED,
                    by=by,
                )
            action = "users.set_password" + ("+end_sessions" if end_sessions else "")
            await audit.record(uow, self._deps, action, tenant_id=tenant_id, target=user_id)
            await uow.commit()
        return updated

    async def reset_second_factors(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
        """An operator's reset for a user who lost their second factor, asking for no code: TOTP
        off, backup codes and e-mailed codes gone, e-mailed codes turned off, tries forgotten.
        The user signs in with the password alone until they set a second factor up again."""
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            user = await require_user(uow, tenant_id, user_id, lock=True)
            now = self._deps.clock.now()
            updated = replace(user, totp=None, updated_at=now)
            await uow.users.update(updated)
            await uow.users.replace_backup_codes(tenant_id, user_id, [])
            email_was_on = await uow.two_factor.set_email_enabled(
                tenant_id, user_id, enabled=False, at=now
            )
            was_on = {"totp": user.has_second_factor, "email": email_was_on}
            await uow.events.add(
                *(
                    two_factor_changed(tenant_id, user_id, method=method, enabled=False, at=now)
                    for method, on in was_on.items()
                    if on
                )
            )
            await uow.two_factor.drop_email_code(user_id)
            await uow.two_factor.clear_factor_tries(user_id)
            await audit.record(
                uow, self._deps, "users.reset_2fa", tenant_id=tenant_id, target=user_id
            )
            await uow.commit()
        return updated

    async def patch_profile(
        self,
        tenant_id: uuid.UUID,
        user_id: uuid.UUID,
        apply: Callable[[User], ProfileChange],
        *,
        by: str | None = None,
    ) -> User:
        """Replaces the profile (and the state, when the change sets one) with what `apply` makes
        of the user as stored, read under its row lock, so concurrent patches take turns. All is
        checked before anything is written, in one transaction; an address kept keeps its
        verified flag, and suspending ends the user's sessions."""
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            await uow.tenants.lock(tenant_id)
            user = await require_user(uow, tenant_id, user_id, lock=True)
            change = apply(user)
            _check_identifiers(change.username, change.emails, change.name)
            _check_documents(change.traits, change.metadata_public, change.metadata_admin)
            now = self._deps.clock.now()
            updated = _with_profile(user, change, now=now)
            await _check_not_anothers(uow, updated)
            await uow.users.update(updated)
            if updated.state is not user.state:
                await _state_changed(uow, user, updated, at=now, by=by)
            await uow.commit()
        return updated


def _with_profile(user: User, change: ProfileChange, *, now: datetime) -> User:
    verified = {e.address.lower() for e in user.emails if e.verified}
    emails = tuple(Email(e.address, e.address.lower() in verified) for e in change.emails)
    return replace(
        user,
        username=change.username,
        emails=emails,
        name=change.name,
        traits=change.traits,
        metadata_public=change.metadata_public,
        metadata_admin=change.metadata_admin,
        state=user.state if change.state is None else change.state,
        updated_at=now,
    )


def _changed(user: User, changes: UserChanges, *, now: datetime) -> User:
    values: dict[str, Any] = {"updated_at": now}
    if changes.name is not None:
        values["name"] = check_text(changes.name, field="name", max_length=NAME_MAX_LENGTH)
    if changes.username is not None:
        values["username"] = check_username(changes.username) if changes.username else None
        if values["username"] is None and not user.emails:
            raise InvalidInput("a user needs a username or an email address", field="username")
    if changes.metadata_public is not None:
        values["metadata_public"] = changes.metadata_public
    if changes.metadata_admin is not None:
        values["metadata_admin"] = changes.metadata_admin
    if changes.state is not None:
        values["state"] = changes.state
    _check_documents(None, changes.metadata_public, changes.metadata_admin)
    return replace(user, **values)


async def _state_changed(
    uow: UnitOfWork, before: User, user: User, *, at: datetime, by: str | None
) -> None:
    """What a user's new state does: suspension ends every session it has (any left from before
    a repeated suspension too), and a user who was not suspended is reported suspended."""
    if user.state is not UserState.SUSPENDED:
        return
    if before.state is not UserState.SUSPENDED:
        await uow.events.add(user_suspended(user, by=by, at=at))
    await uow.sessions.end(
        user.tenant_id, user_id=user.id, at=at, reason=EndReason.USER_SUSPENDED, by=by
    )


def _check_documents(
    traits: dict[str, Any] | None,
    metadata_public: dict[str, Any] | None,
    metadata_admin: dict[str, Any] | None,
) -> None:
    """Every path that writes a user's JSON documents checks them here."""
    check_document(traits, field="traits")
    check_document(metadata_public, field="metadata_public")
    check_document(metadata_admin, field="metadata_admin")


async def add_user(uow: UnitOfWork, user: User) -> None:
    """Adds a user, refusing a username that is another user's email address and vice versa.

    The tenant is locked first: the cross-check spans two tables no constraint joins, so two
    sign-ups racing for one identifier must take turns.
    """
    await uow.tenants.lock(user.tenant_id)
    if user.username is not None and await uow.users.get_by_email(user.tenant_id, user.username):
        raise Conflict("that username is already taken", field="username")
    for email in user.emails:
        if await uow.users.get_by_username(user.tenant_id, email.address):
            raise Conflict("that email address is already taken", field="email")
    await uow.users.add(user)
    await uow.events.add(user_created(user))


def _check_identifiers(username: str | None, emails: tuple[Email, ...], name: str) -> None:
    if username is None and not emails:
        raise InvalidInput("a user needs a username or an email address", field="username")
    if username is not None:
        check_username(username)
    for email in emails:
        check_email(email.address)
    check_text(name, field="name", max_length=NAME_MAX_LENGTH)


async def _check_not_anothers(uow: UnitOfWork, user: User) -> None:
    """`add_user`'s cross-check for a user that already exists (call with the tenant locked)."""
    if user.username is not None:
        owner = await uow.users.get_by_email(user.tenant_id, user.username)
        if owner is not None and owner.id != user.id:
            raise Conflict("that username is already taken", field="username")
    for email in user.emails:
        owner = await uow.users.get_by_username(user.tenant_id, email.address)
        if owner is not None and owner.id != user.id:
            raise Conflict("that email address is already taken", field="email")


async def require_user(
    uow: UnitOfWork, tenant_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool = False
) -> User:
    """The user, locked until the unit of work ends when `lock` (for read-modify-write)."""
    if lock:
        user = await uow.users.get_for_update(tenant_id, user_id)
    else:
        user = await uow.users.get(tenant_id, user_id)
    if user is None:
        raise UserNotFound(f"user {user_id} does not exist")
    return user


async def find_by_identifier(uow: UnitOfWork, tenant_id: uuid.UUID, identifier: str) -> User | None:
    if "@" in identifier:
        found = await uow.users.get_by_email(tenant_id, identifier)
        if found is not None:
            return found
    return await uow.users.get_by_username(tenant_id, identifier)
