"""Sign-in and sign-up with a password, and the second factor. Every attempt is recorded.

Each completion (attempt, session, device, evictions, the used second-factor code) is one unit of
work: it commits whole or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sessiond.domain.attempts import (
    SignInAttempt,
    SignInStatus,
    SignUpAttempt,
    SignUpStatus,
    Strategy,
)
from sessiond.domain.errors import (
    AttemptNotFound,
    AuthenticationFailed,
    InvalidInput,
    SecondFactorFailed,
    SessionLimitReached,
)
from sessiond.domain.ids import new_id
from sessiond.domain.session import AAL, AuthMethod, Session
from sessiond.domain.tenant import Tenant
from sessiond.domain.user import User
from sessiond.services.context import DEFAULT_TOKEN_FORMAT, Client, Deps, TokenFormat
from sessiond.services.issuing import (
    Grant,
    Issue,
    IssuedSession,
    check_room,
    issue_session,
    lock_user,
)
from sessiond.services.sign_in_steps import (
    check_second_factor,
    checked_identifier,
    failure_reason,
)
from sessiond.services.tenants import known_tenant
from sessiond.services.users import NewUser, UserService, add_user, find_by_identifier
from sessiond.store.uow import UnitOfWork

SECOND_FACTOR_WINDOW = timedelta(minutes=10)
MAX_FACTOR_TRIES = 5
PASSWORD_STRATEGIES = frozenset({Strategy.USERNAME_PASSWORD, Strategy.EMAIL_PASSWORD})
# A step run in the unit of work that issues a session (e.g. consuming an open flow); raising
# rolls the whole sign-in or sign-up back.
Claim = Callable[[UnitOfWork], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SignInResult:
    attempt: SignInAttempt
    issued: IssuedSession | None = None


@dataclass(frozen=True, slots=True)
class SignUpResult:
    attempt: SignUpAttempt
    user: User
    issued: IssuedSession


class AuthService:
    def __init__(self, *, deps: Deps, users: UserService) -> None:
        self._deps = deps
        self._users = users

    async def sign_in_password(
        self,
        tenant_id: uuid.UUID,
        *,
        identifier: str,
        password: str,
        client: Client,
        strategy: Strategy = Strategy.USERNAME_PASSWORD,
        token_format: TokenFormat = DEFAULT_TOKEN_FORMAT,
        prehashed: bool = False,
        defer_second_factor: bool = False,
        claim: Claim | None = None,
    ) -> SignInResult:
        """Records the attempt, failed ones included. A user with TOTP gets `needs_factor_two`,
        unless `defer_second_factor`: then an AAL1 session, to be stepped up later (Kratos).

        With `prehashed`, `password` is the SHA-256 hex digest of the password (Rocket.Chat)."""
        if strategy not in PASSWORD_STRATEGIES:
            raise InvalidInput(f"strategy {strategy.value!r} is not a password strategy")
        identifier = checked_identifier(identifier)
        tenant = await known_tenant(self._deps, tenant_id)
        async with self._deps.store.unit_of_work(write=False) as uow:
            user = await find_by_identifier(uow, tenant_id, identifier)
        verified = await self._verified_hash(user, password, prehashed)
        issue = Issue(client, await self._deps.parse_agent(client.user_agent), token_format)
        attempt = self._new_attempt(tenant_id, identifier, strategy, user, issue)
        if user is None or verified is None:
            await self._record(attempt, failure="invalid_credentials")
            raise AuthenticationFailed("the identifier or the password is wrong")
        rehash = await self._new_hash_if_needed(verified, password, prehashed)
        return await self._complete_password(
            tenant,
            attempt,
            user.id,
            verified,
            rehash,
            issue,
            defer_second_factor=defer_second_factor,
            claim=claim,
        )

    async def attempt_second_factor(
        self,
        tenant_id: uuid.UUID,
        attempt_id: uuid.UUID,
        *,
        code: str,
        client: Client,
        token_format: TokenFormat = DEFAULT_TOKEN_FORMAT,
    ) -> SignInResult:
        """Completes a `needs_factor_two` attempt with a TOTP code or a single-use backup code;
        each try is counted before its code is checked, and the fifth wrong one ends the attempt."""
        issue = Issue(client, await self._deps.parse_agent(client.user_agent), token_format)
        now = self._deps.clock.now()
        tenant = await known_tenant(self._deps, tenant_id)
        async with self._deps.store.unit_of_work() as uow:
            attempt = await _waiting_attempt(uow, tenant_id, attempt_id, now=now)
            tries = await uow.sign_ins.reserve_factor_try(
                attempt.id, limit=MAX_FACTOR_TRIES, at=now
            )
            if tries is None or attempt.user_id is None:
                raise AttemptNotFound("no sign-in attempt is waiting for a second factor")
            try:
                user = await lock_user(
                    uow, tenant_id=tenant.id, user_id=attempt.user_id, password_hash=None
                )
                evict = await check_room(uow, deps=self._deps, tenant=tenant, user=user)
                method = await _second_factor(uow, user, code, tries=tries, now=now)
            except (AuthenticationFailed, SessionLimitReached) as exc:
                await _fail(uow, attempt, failure_reason(exc))
                raise
            if method is None:
                await uow.commit()
                raise SecondFactorFailed("the code is wrong or was already used")
            methods = (
                AuthMethod("password", AAL.AAL1, attempt.created_at),
                AuthMethod(method, AAL.AAL2, now),
            )
            grant = Grant(AAL.AAL2, methods)
            result = await self._issue(uow, tenant, user, attempt, grant, issue, evict)
            await uow.commit()
        return result

    async def sign_up_password(
        self,
        tenant_id: uuid.UUID,
        new: NewUser,
        *,
        client: Client,
        strategy: Strategy = Strategy.USERNAME_PASSWORD,
        token_format: TokenFormat = DEFAULT_TOKEN_FORMAT,
        claim: Claim | None = None,
    ) -> SignUpResult:
        """Creates the user and its first session in one transaction (`claim` runs in it)."""
        if new.password is None:
            raise InvalidInput("a password is required", field="password")
        _check_sign_up_identifier(strategy, new)
        user = await self._users.build(tenant_id, new)
        issue = Issue(client, await self._deps.parse_agent(client.user_agent), token_format)
        now = self._deps.clock.now()
        attempt = _sign_up_attempt(user, strategy, issue, now=now)
        methods = (AuthMethod("password", AAL.AAL1, now),)
        tenant = await known_tenant(self._deps, tenant_id)
        async with self._deps.store.unit_of_work() as uow:
            if claim is not None:
                await claim(uow)
            await add_user(uow, user)
            await uow.sign_ups.add(attempt)
            issued = await issue_session(
                uow,
                deps=self._deps,
                tenant=tenant,
                user=user,
                grant=Grant(AAL.AAL1, methods, sign_up_attempt_id=attempt.id),
                issue=issue,
                evict=[],
            )
            await uow.commit()
        return SignUpResult(attempt, user, issued)

    async def _complete_password(
        self,
        tenant: Tenant,
        attempt: SignInAttempt,
        user_id: uuid.UUID,
        verified: str,
        rehash: str | None,
        issue: Issue,
        *,
        defer_second_factor: bool = False,
        claim: Claim | None = None,
    ) -> SignInResult:
        """Issues the session, or leaves the attempt waiting for a second factor, deciding on the
        user as it is under the lock, not as it was before the password check. `claim` runs only
        when a session is issued, in the same unit of work."""
        async with self._deps.store.unit_of_work() as uow:
            try:
                user = await lock_user(
                    uow, tenant_id=tenant.id, user_id=user_id, password_hash=verified
                )
                if rehash is not None:
                    await uow.users.set_password_hash(
                        user.id, new_hash=rehash, replacing=verified, at=self._deps.clock.now()
                    )
                if user.has_second_factor and not defer_second_factor:
                    waiting = replace(attempt, status=SignInStatus.NEEDS_FACTOR_TWO)
                    await uow.sign_ins.add(waiting)
                    await uow.commit()
                    return SignInResult(waiting)
                evict = await check_room(uow, deps=self._deps, tenant=tenant, user=user)
            except (AuthenticationFailed, SessionLimitReached) as exc:
                await _fail(uow, attempt, failure_reason(exc))
                raise
            if claim is not None:
                await claim(uow)
            methods = (AuthMethod("password", AAL.AAL1, attempt.created_at),)
            grant = Grant(AAL.AAL1, methods)
            result = await self._issue(uow, tenant, user, attempt, grant, issue, evict)
            await uow.commit()
        return result

    async def _issue(
        self,
        uow: UnitOfWork,
        tenant: Tenant,
        user: User,
        attempt: SignInAttempt,
        grant: Grant,
        issue: Issue,
        evict: list[Session],
    ) -> SignInResult:
        complete = replace(attempt, status=SignInStatus.COMPLETE, updated_at=self._deps.clock.now())
        await _save(uow, attempt, complete)
        issued = await issue_session(
            uow,
            deps=self._deps,
            tenant=tenant,
            user=user,
            grant=replace(grant, sign_in_attempt_id=attempt.id),
            issue=issue,
            evict=evict,
        )
        return SignInResult(complete, issued)

    def _new_attempt(
        self,
        tenant_id: uuid.UUID,
        identifier: str,
        strategy: Strategy,
        user: User | None,
        issue: Issue,
    ) -> SignInAttempt:
        now = self._deps.clock.now()
        return SignInAttempt(
            id=new_id(),
            tenant_id=tenant_id,
            identifier=identifier,
            strategy=strategy,
            status=SignInStatus.NEEDS_FACTOR_ONE,
            created_at=now,
            updated_at=now,
            user_id=None if user is None else user.id,
            ip=issue.client.ip,
            user_agent=issue.agent.raw,
        )

    async def _verified_hash(self, user: User | None, password: str, prehashed: bool) -> str | None:
        """The hash the password matched, or None. Unknown users cost the same time as known."""
        if user is None or user.password_hash is None:
            await self._deps.passwords.verify_dummy(password)
            return None
        if await self._deps.passwords.verify(user.password_hash, password, prehashed=prehashed):
            return user.password_hash
        return None

    async def _new_hash_if_needed(
        self, verified: str, password: str, prehashed: bool
    ) -> str | None:
        """A hash with the current argon2 parameters (or the current form) when `verified` was
        made with older ones; it replaces the old one in the sign-in's own transaction."""
        if not self._deps.passwords.needs_rehash(verified):
            return None
        return await self._deps.passwords.hash(password, prehashed=prehashed)

    async def _record(self, attempt: SignInAttempt, *, failure: str | None = None) -> None:
        if failure is not None:
            attempt = replace(attempt, status=SignInStatus.FAILED, failure_reason=failure)
        async with self._deps.store.unit_of_work() as uow:
            await uow.sign_ins.add(attempt)
            await uow.commit()


def _sign_up_attempt(
    user: User, strategy: Strategy, issue: Issue, *, now: datetime
) -> SignUpAttempt:
    return SignUpAttempt(
        id=new_id(),
        tenant_id=user.tenant_id,
        strategy=strategy,
        status=SignUpStatus.COMPLETE,
        created_at=now,
        updated_at=now,
        user_id=user.id,
        ip=issue.client.ip,
        user_agent=issue.agent.raw,
    )


def _check_sign_up_identifier(strategy: Strategy, new: NewUser) -> None:
    """A password strategy names the identifier the user signs in with: it must be there."""
    if strategy is Strategy.USERNAME_PASSWORD and new.username is None:
        raise InvalidInput("username_password needs a username", field="username")
    if strategy is Strategy.EMAIL_PASSWORD and not new.emails:
        raise InvalidInput("email_password needs an email address", field="email")


async def _waiting_attempt(
    uow: UnitOfWork, tenant_id: uuid.UUID, attempt_id: uuid.UUID, *, now: datetime
) -> SignInAttempt:
    attempt = await uow.sign_ins.get(tenant_id, attempt_id)
    if attempt is None or attempt.status is not SignInStatus.NEEDS_FACTOR_TWO:
        raise AttemptNotFound("no sign-in attempt is waiting for a second factor")
    if now - attempt.created_at > SECOND_FACTOR_WINDOW:
        await _fail(uow, attempt, "expired")
        raise AttemptNotFound("the sign-in attempt has expired; sign in again")
    return attempt


async def _second_factor(
    uow: UnitOfWork, user: User, code: str, *, tries: int, now: datetime
) -> str | None:
    """The method the code proved; None for a wrong code with tries left. The last wrong try
    raises, so the caller ends the attempt."""
    method = await check_second_factor(uow, user, code, now=now)
    if method is None and tries >= MAX_FACTOR_TRIES:
        raise SecondFactorFailed("too many wrong codes: sign in again", exhausted=True)
    return method


async def _save(uow: UnitOfWork, previous: SignInAttempt, new: SignInAttempt) -> None:
    """A first-factor attempt is stored now; a waiting one moves on only once, whoever races."""
    if previous.status is not SignInStatus.NEEDS_FACTOR_TWO:
        await uow.sign_ins.add(new)
    elif not await uow.sign_ins.update(new, from_status=SignInStatus.NEEDS_FACTOR_TWO):
        raise AttemptNotFound("no sign-in attempt is waiting for a second factor")


async def _fail(uow: UnitOfWork, attempt: SignInAttempt, reason: str) -> None:
    failed = replace(attempt, status=SignInStatus.FAILED, failure_reason=reason)
    await _save(uow, attempt, failed)
    await uow.commit()
