"""Sign-in and sign-up with a password, and the second factor. Every attempt is recorded."""

from __future__ import annotations

import uuid
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
    UserSuspended,
)
from sessiond.domain.ids import new_id
from sessiond.domain.session import AAL, AuthMethod
from sessiond.domain.tenant import Tenant
from sessiond.domain.user import IDENTIFIER_MAX_LENGTH, User, check_text
from sessiond.infra.totp import backup_code_digest, is_backup_code_shaped, totp_step
from sessiond.services.context import DEFAULT_TOKEN_FORMAT, Client, Deps, TokenFormat
from sessiond.services.issuing import Grant, IssuedSession, check_room, issue_session
from sessiond.services.tenants import require_tenant
from sessiond.services.users import NewUser, UserService, add_user, find_by_identifier
from sessiond.store.uow import UnitOfWork

SECOND_FACTOR_WINDOW = timedelta(minutes=10)
MAX_FACTOR_FAILURES = 5
PASSWORD_STRATEGIES = frozenset({Strategy.USERNAME_PASSWORD, Strategy.EMAIL_PASSWORD})


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
    def __init__(self, deps: Deps, users: UserService) -> None:
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
    ) -> SignInResult:
        """Records the attempt, failed ones included. A user with TOTP gets `needs_factor_two`."""
        if strategy not in PASSWORD_STRATEGIES:
            raise InvalidInput(f"strategy {strategy.value!r} is not a password strategy")
        identifier = check_text(
            identifier.strip(), field="identifier", max_length=IDENTIFIER_MAX_LENGTH
        )
        if not identifier:
            raise InvalidInput("the identifier must not be empty", field="identifier")
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            user = await find_by_identifier(uow, tenant_id, identifier)
        password_ok = await self._check_password(user, password)
        agent = await self._deps.parse_agent(client.user_agent)
        now = self._deps.clock.now()
        attempt = SignInAttempt(
            id=new_id(),
            tenant_id=tenant_id,
            identifier=identifier,
            strategy=strategy,
            status=SignInStatus.NEEDS_FACTOR_ONE,
            created_at=now,
            updated_at=now,
            user_id=None if user is None else user.id,
            ip=client.ip,
            user_agent=agent.raw,
        )
        if user is None or not password_ok:
            await self._record_failure(attempt, "invalid_credentials")
            raise AuthenticationFailed("the identifier or the password is wrong")
        if not user.is_active:
            await self._record_failure(attempt, "user_suspended")
            raise UserSuspended("this user is suspended")
        if user.has_second_factor:
            waiting = replace(attempt, status=SignInStatus.NEEDS_FACTOR_TWO)
            async with self._deps.store.unit_of_work() as uow:
                await uow.sign_ins.add(waiting)
                await uow.commit()
            return SignInResult(waiting)
        methods = (AuthMethod("password", AAL.AAL1, now),)
        return await self._complete(attempt, user, AAL.AAL1, methods, client, token_format)

    async def attempt_second_factor(
        self,
        tenant_id: uuid.UUID,
        attempt_id: uuid.UUID,
        *,
        code: str,
        client: Client,
        token_format: TokenFormat = DEFAULT_TOKEN_FORMAT,
    ) -> SignInResult:
        """Completes a `needs_factor_two` attempt with a TOTP code or a single-use backup code."""
        now = self._deps.clock.now()
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            attempt = await uow.sign_ins.get(tenant_id, attempt_id)
            if attempt is None or attempt.status is not SignInStatus.NEEDS_FACTOR_TWO:
                raise AttemptNotFound("no sign-in attempt is waiting for a second factor")
            if now - attempt.created_at > SECOND_FACTOR_WINDOW or attempt.user_id is None:
                raise AttemptNotFound("the sign-in attempt has expired; sign in again")
            user = await uow.users.get(tenant_id, attempt.user_id)
            if user is None or not user.is_active or user.totp is None:
                raise AuthenticationFailed("the sign-in attempt can no longer complete")
            method = await check_second_factor(uow, user, code, now=now)
            failures = 0
            if method is None:
                failures = await uow.sign_ins.record_factor_failure(
                    attempt.id, at=now, give_up_at=MAX_FACTOR_FAILURES
                )
            await uow.commit()
        if method is None:
            if failures >= MAX_FACTOR_FAILURES:
                raise SecondFactorFailed(
                    "too many wrong codes: this sign-in attempt has ended, sign in again",
                    exhausted=True,
                )
            raise SecondFactorFailed("the code is wrong or was already used")
        methods = (
            AuthMethod("password", AAL.AAL1, attempt.created_at),
            AuthMethod(method, AAL.AAL2, now),
        )
        return await self._complete(attempt, user, AAL.AAL2, methods, client, token_format)

    async def sign_up_password(
        self,
        tenant_id: uuid.UUID,
        new: NewUser,
        *,
        client: Client,
        strategy: Strategy = Strategy.USERNAME_PASSWORD,
        token_format: TokenFormat = DEFAULT_TOKEN_FORMAT,
    ) -> SignUpResult:
        """Creates the user and its first session in one transaction."""
        if new.password is None:
            raise InvalidInput("a password is required", field="password")
        user = await self._users.build(tenant_id, new)
        agent = await self._deps.parse_agent(client.user_agent)
        now = self._deps.clock.now()
        attempt = SignUpAttempt(
            id=new_id(),
            tenant_id=tenant_id,
            strategy=strategy,
            status=SignUpStatus.COMPLETE,
            created_at=now,
            updated_at=now,
            user_id=user.id,
            ip=client.ip,
            user_agent=agent.raw,
        )
        async with self._deps.store.unit_of_work() as uow:
            tenant = await require_tenant(uow, tenant_id)
            await add_user(uow, user)
            await uow.sign_ups.add(attempt)
            grant = Grant(
                AAL.AAL1, (AuthMethod("password", AAL.AAL1, now),), sign_up_attempt_id=attempt.id
            )
            issued = await issue_session(
                uow,
                self._deps,
                tenant=tenant,
                user=user,
                grant=grant,
                client=client,
                agent=agent,
                evict=[],
                token_format=token_format,
            )
            await uow.commit()
        return SignUpResult(attempt, user, issued)

    async def _complete(
        self,
        attempt: SignInAttempt,
        user: User,
        aal: AAL,
        methods: tuple[AuthMethod, ...],
        client: Client,
        token_format: TokenFormat,
    ) -> SignInResult:
        agent = await self._deps.parse_agent(client.user_agent)
        complete = replace(attempt, status=SignInStatus.COMPLETE, updated_at=self._deps.clock.now())
        async with self._deps.store.unit_of_work() as uow:
            tenant: Tenant = await require_tenant(uow, attempt.tenant_id)
            try:
                evict = await check_room(uow, self._deps, tenant=tenant, user=user)
            except SessionLimitReached:
                await self._save_attempt(
                    uow,
                    attempt,
                    replace(attempt, status=SignInStatus.FAILED, failure_reason="session_limit"),
                )
                await uow.commit()
                raise
            await self._save_attempt(uow, attempt, complete)
            grant = Grant(aal, methods, sign_in_attempt_id=attempt.id)
            issued = await issue_session(
                uow,
                self._deps,
                tenant=tenant,
                user=user,
                grant=grant,
                client=client,
                agent=agent,
                evict=evict,
                token_format=token_format,
            )
            await uow.commit()
        return SignInResult(complete, issued)

    async def _check_password(self, user: User | None, password: str) -> bool:
        """Spends the same time whether or not the user exists, so timing reveals nothing."""
        if user is None or user.password_hash is None:
            await self._deps.passwords.verify_dummy(password)
            return False
        return await self._deps.passwords.verify(user.password_hash, password)

    async def _record_failure(self, attempt: SignInAttempt, reason: str) -> None:
        failed = replace(attempt, status=SignInStatus.FAILED, failure_reason=reason)
        async with self._deps.store.unit_of_work() as uow:
            await uow.sign_ins.add(failed)
            await uow.commit()

    @staticmethod
    async def _save_attempt(uow: UnitOfWork, previous: SignInAttempt, new: SignInAttempt) -> None:
        """A first-factor attempt is stored now; a waiting one moves on only once, whoever races."""
        if previous.status is not SignInStatus.NEEDS_FACTOR_TWO:
            await uow.sign_ins.add(new)
        elif not await uow.sign_ins.update(new, from_status=SignInStatus.NEEDS_FACTOR_TWO):
            raise AttemptNotFound("no sign-in attempt is waiting for a second factor")


async def check_second_factor(
    uow: UnitOfWork, user: User, code: str, *, now: datetime
) -> str | None:
    """The method a right code proved (`totp` or `lookup_secret`), or None. Codes never replay."""
    totp = user.totp
    if totp is None or not totp.enabled:
        return None
    step = totp_step(totp.secret, code, at=now)
    if step is not None:
        return "totp" if await uow.users.set_totp_last_step(user.id, step=step) else None
    if is_backup_code_shaped(code) and await uow.users.use_backup_code(
        user.id, backup_code_digest(code), at=now
    ):
        return "lookup_secret"
    return None
