"""A sign-in in two steps, as pxyz's frontend makes it: an attempt with only an identifier, then
its first factor (the password). The attempt's id stays the same from start to session.

Starting an attempt names no user, so it reveals nothing about which identifiers exist. A wrong
password fails the attempt (the client starts another); the failed attempt keeps the user it was
for, for administrators' audit, and `SignInAttempt.passed_first_factor` tells a door that the
caller must not see it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from sessiond.domain.attempts import SignInAttempt, SignInStatus, Strategy
from sessiond.domain.errors import (
    AttemptNotFound,
    AuthenticationFailed,
    InvalidInput,
    SessionLimitReached,
)
from sessiond.domain.ids import new_id
from sessiond.domain.session import AAL, AuthMethod, Session
from sessiond.domain.tenant import Tenant
from sessiond.domain.user import User
from sessiond.services.auth import (
    PASSWORD_STRATEGIES,
    SECOND_FACTOR_WINDOW,
    AuthService,
    SignInResult,
)
from sessiond.services.context import DEFAULT_TOKEN_FORMAT, Client, Deps, TokenFormat
from sessiond.services.issuing import Grant, Issue, check_room, issue_session, lock_user
from sessiond.services.sign_in_steps import checked_identifier, fail_waiting, failure_reason
from sessiond.services.tenants import known_tenant
from sessiond.services.users import find_by_identifier
from sessiond.store.uow import UnitOfWork


class StagedSignIn:
    def __init__(self, *, deps: Deps, auth: AuthService) -> None:
        self._deps = deps
        self._auth = auth

    async def sign_in(
        self,
        tenant_id: uuid.UUID,
        *,
        identifier: str,
        strategy: Strategy,
        password: str | None,
        client: Client,
    ) -> SignInResult:
        """With the password, the whole sign-in at once; without, an attempt waiting for it."""
        if password is None:
            attempt = await self.start(
                tenant_id, identifier=identifier, strategy=strategy, client=client
            )
            return SignInResult(attempt)
        return await self._auth.sign_in_password(
            tenant_id, identifier=identifier, password=password, client=client, strategy=strategy
        )

    async def start(
        self, tenant_id: uuid.UUID, *, identifier: str, strategy: Strategy, client: Client
    ) -> SignInAttempt:
        if strategy not in PASSWORD_STRATEGIES:
            raise InvalidInput(f"strategy {strategy.value!r} is not a password strategy")
        agent = await self._deps.parse_agent(client.user_agent)
        now = self._deps.clock.now()
        attempt = SignInAttempt(
            id=new_id(),
            tenant_id=tenant_id,
            identifier=checked_identifier(identifier),
            strategy=strategy,
            status=SignInStatus.NEEDS_FACTOR_ONE,
            created_at=now,
            updated_at=now,
            ip=client.ip,
            user_agent=agent.raw,
        )
        await known_tenant(self._deps, tenant_id)
        async with self._deps.store.unit_of_work() as uow:
            await uow.sign_ins.add(attempt)
            await uow.commit()
        return attempt

    async def attempt_password(
        self,
        tenant_id: uuid.UUID,
        attempt_id: uuid.UUID,
        *,
        password: str,
        client: Client,
        strategy: Strategy | None = None,
        token_format: TokenFormat = DEFAULT_TOKEN_FORMAT,
    ) -> SignInResult:
        """Checks the password of a `needs_factor_one` attempt; completes it, or leaves it
        waiting for a second factor, under the user's lock. A `strategy` given must be the
        attempt's own."""
        attempt, user_id, password_hash = await self._verify(
            tenant_id, attempt_id, password, strategy
        )
        issue = Issue(client, await self._deps.parse_agent(client.user_agent), token_format)
        tenant = await known_tenant(self._deps, tenant_id)
        async with self._deps.store.unit_of_work() as uow:
            now = self._deps.clock.now()
            try:
                user = await lock_user(
                    uow, tenant_id=tenant_id, user_id=user_id, password_hash=password_hash
                )
                if user.has_second_factor:
                    waiting = await _advance(uow, attempt, SignInStatus.NEEDS_FACTOR_TWO, at=now)
                    await uow.commit()
                    return SignInResult(waiting)
                evict = await check_room(uow, deps=self._deps, tenant=tenant, user=user)
            except (AuthenticationFailed, SessionLimitReached) as exc:
                await fail_waiting(uow, attempt, failure_reason(exc))
                raise
            result = await self._complete(uow, tenant, user, attempt, issue, evict, now=now)
            await uow.commit()
        return result

    async def _complete(
        self,
        uow: UnitOfWork,
        tenant: Tenant,
        user: User,
        attempt: SignInAttempt,
        issue: Issue,
        evict: list[Session],
        *,
        now: datetime,
    ) -> SignInResult:
        """The first factor was the last one: the attempt completes with a session at AAL1."""
        complete = await _advance(uow, attempt, SignInStatus.COMPLETE, at=now)
        methods = (AuthMethod("password", AAL.AAL1, now),)
        issued = await issue_session(
            uow,
            deps=self._deps,
            tenant=tenant,
            user=user,
            grant=Grant(AAL.AAL1, methods, sign_in_attempt_id=attempt.id),
            issue=issue,
            evict=evict,
        )
        return SignInResult(complete, issued)

    async def _verify(
        self,
        tenant_id: uuid.UUID,
        attempt_id: uuid.UUID,
        password: str,
        strategy: Strategy | None,
    ) -> tuple[SignInAttempt, uuid.UUID, str]:
        now = self._deps.clock.now()
        await known_tenant(self._deps, tenant_id)
        async with self._deps.store.unit_of_work(write=False) as uow:
            attempt = await uow.sign_ins.get(tenant_id, attempt_id)
            if attempt is None or attempt.status is not SignInStatus.NEEDS_FACTOR_ONE:
                raise AttemptNotFound("no sign-in attempt is waiting for a first factor")
            if strategy is not None and strategy is not attempt.strategy:
                raise InvalidInput(
                    f"the attempt's strategy is {attempt.strategy.value!r}", field="strategy"
                )
            user = await find_by_identifier(uow, tenant_id, attempt.identifier)
        if now - attempt.created_at > SECOND_FACTOR_WINDOW:
            await self._fail(attempt, "expired")
            raise AttemptNotFound("the sign-in attempt has expired; sign in again")
        passwords = self._deps.passwords
        if user is None or user.password_hash is None:
            await passwords.verify_dummy(password)
        elif await passwords.verify(user.password_hash, password):
            return replace(attempt, user_id=user.id), user.id, user.password_hash
        known = None if user is None else user.id
        await self._fail(replace(attempt, user_id=known), "invalid_credentials")
        raise AuthenticationFailed("the identifier or the password is wrong")

    async def _fail(self, attempt: SignInAttempt, reason: str) -> None:
        async with self._deps.store.unit_of_work() as uow:
            await fail_waiting(uow, attempt, reason)


async def _advance(
    uow: UnitOfWork, attempt: SignInAttempt, status: SignInStatus, *, at: datetime
) -> SignInAttempt:
    """Moves the stored attempt on from `needs_factor_one`, once, whoever races."""
    moved = replace(attempt, status=status, updated_at=at)
    if not await uow.sign_ins.update(moved, from_status=SignInStatus.NEEDS_FACTOR_ONE):
        raise AttemptNotFound("no sign-in attempt is waiting for a first factor")
    return moved
