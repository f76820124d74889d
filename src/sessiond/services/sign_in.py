"""The one sign-in pipeline every door calls.

A password sign-in is always the same steps: find the user and check the password (against a
dummy hash when there is no such user, so both cost the same time); then, in one unit of work,
lock the user and check it again (a suspension or a password change that landed meanwhile wins),
put a hash made with outdated parameters right, leave the attempt waiting when a second factor is
due, make room under the session limit, run the door's own step, and issue the session. Every
outcome, failures included, is written on the attempt in that same unit of work.

Doors keep only what is theirs: pxyz's staged attempt (`pxyz/staged_sign_in.py`), Kratos's login
flow (`kratos/flows.py`), Rocket.Chat's code on login (`rocketchat/two_factor.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum

from sessiond.domain.attempts import (
    SECOND_FACTOR_WINDOW,
    FailureReason,
    SignInAttempt,
    SignInStatus,
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
from sessiond.domain.events import session_created, sign_in_failed
from sessiond.domain.ids import new_id
from sessiond.domain.session import AAL, AuthMethod, Session
from sessiond.domain.tenant import Tenant
from sessiond.domain.user import User
from sessiond.services.context import DEFAULT_TOKEN_FORMAT, Client, Deps, TokenFormat
from sessiond.services.guesses import GuessThrottle
from sessiond.services.issuing import (
    Grant,
    Issue,
    IssuedSession,
    check_room,
    issue_for,
    issue_session,
    lock_user,
    new_session,
)
from sessiond.services.sign_in_steps import check_second_factor, checked_identifier
from sessiond.services.tenants import known_tenant
from sessiond.services.users import find_by_identifier
from sessiond.store.uow import UnitOfWork

MAX_FACTOR_TRIES = 5
PASSWORD_STRATEGIES = frozenset({Strategy.USERNAME_PASSWORD, Strategy.EMAIL_PASSWORD})
# A door's own step, run in the unit of work that issues the session (Kratos consumes its login
# flow there); raising rolls the whole sign-in back.
DoorStep = Callable[[UnitOfWork], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ClaimLoginFlow:
    """The door step of a sign-in on a login flow (Kratos): the flow, still open, is taken by
    the sign-in, which fails if another took it first."""

    tenant_id: uuid.UUID
    flow_id: uuid.UUID

    async def __call__(self, uow: UnitOfWork) -> None:
        if not await uow.sign_ins.delete_open(self.tenant_id, self.flow_id):
            raise AttemptNotFound("no login flow with that id is open")


class PasswordForm(Enum):
    PLAIN = "plain"
    SHA256_HEX = "sha256_hex"  # the password's SHA-256, as Rocket.Chat's clients send it


class SecondFactorDue(Enum):
    """When a user with a second factor proves it."""

    BEFORE_SESSION = "before_session"  # the attempt waits for the code (pxyz, Rocket.Chat)
    AFTER_SESSION = "after_session"  # an AAL1 session now, stepped up later (Kratos)


@dataclass(frozen=True, slots=True)
class PasswordSignIn:
    """A sign-in with a password, as a door describes it."""

    tenant_id: uuid.UUID
    identifier: str
    password: str = field(repr=False)
    client: Client
    strategy: Strategy = Strategy.USERNAME_PASSWORD
    token_format: TokenFormat = DEFAULT_TOKEN_FORMAT
    password_form: PasswordForm = PasswordForm.PLAIN
    second_factor: SecondFactorDue = SecondFactorDue.BEFORE_SESSION
    door_step: DoorStep | None = None


@dataclass(frozen=True, slots=True)
class SignInResult:
    attempt: SignInAttempt
    issued: IssuedSession | None = None


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    """What checking a password found: the user (None for an unknown identifier), the hash the
    password matched (None for a wrong one) and, when that hash is outdated, its replacement."""

    user_id: uuid.UUID | None
    matched_hash: str | None
    new_hash: str | None = None
    user: User | None = None  # as read before the hash was checked, when the password matched


@dataclass(frozen=True, slots=True)
class Pending:
    """An attempt on its way: `stored` when a door stored it earlier (pxyz's staged attempt, one
    waiting for a second factor), so that it moves on from its status once, whoever races."""

    attempt: SignInAttempt
    stored: bool

    def moved(self, status: SignInStatus, *, at: datetime) -> SignInAttempt:
        """The attempt at its next status (not written)."""
        return replace(self.attempt, status=status, updated_at=at)


class SignInPipeline:
    def __init__(self, *, deps: Deps, guesses: GuessThrottle) -> None:
        self._deps = deps
        self.guesses = guesses

    async def password(self, request: PasswordSignIn) -> SignInResult:
        """The whole sign-in at once. A user whose second factor is due before the session gets
        the attempt back waiting (`needs_factor_two`)."""
        if request.strategy not in PASSWORD_STRATEGIES:
            raise InvalidInput(f"strategy {request.strategy.value!r} is not a password strategy")
        identifier = checked_identifier(request.identifier)
        tenant = await known_tenant(self._deps, request.tenant_id)
        check = await self.check_password(
            tenant, identifier, request.password, request.password_form, ip=request.client.ip
        )
        issue = await issue_for(self._deps, request.client, request.token_format)
        now = self._deps.clock.now()
        attempt = SignInAttempt(
            id=new_id(),
            tenant_id=tenant.id,
            identifier=identifier,
            strategy=request.strategy,
            status=SignInStatus.NEEDS_FACTOR_ONE,
            created_at=now,
            updated_at=now,
            user_id=check.user_id,
            ip=request.client.ip,
            user_agent=issue.agent.raw,
        )
        return await self.complete(
            tenant,
            Pending(attempt, stored=False),
            check,
            issue,
            second_factor=request.second_factor,
            door_step=request.door_step,
        )

    async def check_password(
        self, tenant: Tenant, identifier: str, password: str, form: PasswordForm, *, ip: str | None
    ) -> PasswordCheck:
        """Counts the check against the account's and the IP's guess budgets first (raising
        TooManyGuesses while either must wait), then reads the user outside any transaction
        (hashing takes tens of milliseconds, and `complete` checks again under the lock).
        Unknown users cost the same time as known."""
        reservation = await self.guesses.reserve(tenant, identifier=identifier, ip=ip)
        try:
            check = await self._check_password(tenant.id, identifier, password, form)
        except BaseException:
            await self.guesses.release(reservation)
            raise
        if check.matched_hash is not None:
            await self.guesses.right_password(reservation)
        return check

    async def _check_password(
        self, tenant_id: uuid.UUID, identifier: str, password: str, form: PasswordForm
    ) -> PasswordCheck:
        async with self._deps.store.unit_of_work(write=False) as uow:
            user = await find_by_identifier(uow, tenant_id, identifier)
        passwords = self._deps.passwords
        prehashed = form is PasswordForm.SHA256_HEX
        if user is None or user.password_hash is None:
            await passwords.verify_dummy(password)
            return PasswordCheck(None if user is None else user.id, None)
        if not await passwords.verify(user.password_hash, password, prehashed=prehashed):
            return PasswordCheck(user.id, None)
        new_hash = None
        if passwords.needs_rehash(user.password_hash):
            new_hash = await passwords.hash(password, prehashed=prehashed)
        return PasswordCheck(user.id, user.password_hash, new_hash, user)

    async def complete(
        self,
        tenant: Tenant,
        pending: Pending,
        check: PasswordCheck,
        issue: Issue,
        *,
        second_factor: SecondFactorDue,
        door_step: DoorStep | None = None,
    ) -> SignInResult:
        """Finishes a checked password in one unit of work: the session, the attempt waiting for
        a second factor, or the failure recorded and raised."""
        straight = await self._straight(tenant, pending, check, issue, second_factor, door_step)
        if straight is not None:
            return straight
        async with self._deps.store.unit_of_work() as uow:
            try:
                if check.user_id is None or check.matched_hash is None:
                    raise AuthenticationFailed("the identifier or the password is wrong")
                user = await lock_user(
                    uow,
                    tenant_id=tenant.id,
                    user_id=check.user_id,
                    password_hash=check.matched_hash,
                )
                if check.new_hash is not None:
                    await uow.users.set_password_hash(
                        user.id,
                        new_hash=check.new_hash,
                        replacing=check.matched_hash,
                        at=self._deps.clock.now(),
                    )
                if user.has_second_factor and second_factor is SecondFactorDue.BEFORE_SESSION:
                    waiting = await _record(
                        uow, pending, SignInStatus.NEEDS_FACTOR_TWO, at=self._deps.clock.now()
                    )
                    await uow.commit()
                    return SignInResult(waiting)
                evict = await check_room(uow, deps=self._deps, tenant=tenant, user=user)
            except (AuthenticationFailed, SessionLimitReached) as exc:
                await _record_failure(uow, pending, failure_reason(exc), at=self._deps.clock.now())
                await uow.commit()
                raise
            if door_step is not None:
                await door_step(uow)
            grant = _password_grant(self._deps.clock.now())
            result = await self._issue(uow, tenant, user, pending, grant, issue, evict)
            await uow.commit()
        return result

    async def _straight(
        self,
        tenant: Tenant,
        pending: Pending,
        check: PasswordCheck,
        issue: Issue,
        second_factor: SecondFactorDue,
        door_step: DoorStep | None,
    ) -> SignInResult | None:
        """The common sign-in as one statement on PostgreSQL, where each round trip costs about
        as much as the rest of a sign-in's work but the hash: the user checked under lock as
        `lock_user` does, the session, its device and the attempt written, the login flow taken.
        None when the sign-in needs the unit of work of `complete`, which then also finds why
        this one wrote nothing (a password changed meanwhile, a suspended user, a flow taken)."""
        user = check.user
        due_now = second_factor is SecondFactorDue.BEFORE_SESSION
        if (
            self._deps.store.backend != "postgresql"
            or user is None
            or check.matched_hash is None
            or check.new_hash is not None
            or pending.stored
            or tenant.settings.max_live_sessions is not None
            or (user.has_second_factor and due_now)
            or not (door_step is None or isinstance(door_step, ClaimLoginFlow))
        ):
            return None
        now = self._deps.clock.now()
        complete = pending.moved(SignInStatus.COMPLETE, at=now)
        grant = replace(_password_grant(now), sign_in_attempt_id=complete.id)
        issued = new_session(tenant=tenant, user=user, grant=grant, issue=issue, now=now)
        assert issued.record.device is not None
        async with self._deps.store.single_write() as uow:
            session, device = issued.record.session, issued.record.device
            written = await uow.sessions.add_checked(
                session,
                device,
                attempt=complete,
                event=session_created(session, device),
                password_hash=check.matched_hash,
                without_second_factor=due_now,
                claim_flow=None if door_step is None else door_step.flow_id,
            )
            await uow.commit()
        return SignInResult(complete, issued) if written else None

    async def second_factor(
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
        issue = await issue_for(self._deps, client, token_format)
        now = self._deps.clock.now()
        tenant = await known_tenant(self._deps, tenant_id)
        async with self._deps.store.unit_of_work() as uow:
            attempt = await uow.sign_ins.get(tenant_id, attempt_id)
            if attempt is None or attempt.status is not SignInStatus.NEEDS_FACTOR_TWO:
                raise AttemptNotFound("no sign-in attempt is waiting for a second factor")
            pending = Pending(attempt, stored=True)
            if now - attempt.created_at > SECOND_FACTOR_WINDOW:
                await _record_failure(uow, pending, FailureReason.EXPIRED, at=now)
                await uow.commit()
                raise AttemptNotFound("the sign-in attempt has expired; sign in again")
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
                method = await check_second_factor(uow, user, code, now=now)
                if method is None and tries >= MAX_FACTOR_TRIES:
                    raise SecondFactorFailed("too many wrong codes: sign in again", exhausted=True)
            except (AuthenticationFailed, SessionLimitReached) as exc:
                await _record_failure(uow, pending, failure_reason(exc), at=now)
                await uow.commit()
                raise
            if method is None:
                await uow.commit()  # the counted try stays counted
                raise SecondFactorFailed("the code is wrong or was already used")
            methods = (
                AuthMethod("password", AAL.AAL1, attempt.updated_at),
                AuthMethod(method, AAL.AAL2, now),
            )
            result = await self._issue(
                uow, tenant, user, pending, Grant(AAL.AAL2, methods), issue, evict
            )
            await uow.commit()
        return result

    async def record_failure(self, pending: Pending, reason: FailureReason) -> None:
        """Records a failure found before any unit of work was open (a wrong password)."""
        async with self._deps.store.unit_of_work() as uow:
            await _record_failure(uow, pending, reason, at=self._deps.clock.now())
            await uow.commit()

    async def _issue(
        self,
        uow: UnitOfWork,
        tenant: Tenant,
        user: User,
        pending: Pending,
        grant: Grant,
        issue: Issue,
        evict: list[Session],
    ) -> SignInResult:
        now = self._deps.clock.now()
        if pending.stored:
            complete = await _record(uow, pending, SignInStatus.COMPLETE, at=now)
        else:  # a new attempt is written with the session
            complete = pending.moved(SignInStatus.COMPLETE, at=now)
        issued = await issue_session(
            uow,
            deps=self._deps,
            tenant=tenant,
            user=user,
            grant=replace(grant, sign_in_attempt_id=complete.id),
            issue=issue,
            evict=evict,
            attempt=None if pending.stored else complete,
        )
        return SignInResult(complete, issued)


def _password_grant(at: datetime) -> Grant:
    """What a right password proves on its own."""
    return Grant(AAL.AAL1, (AuthMethod("password", AAL.AAL1, at),))


def failure_reason(exc: Exception) -> FailureReason:
    if isinstance(exc, UserSuspended):
        return FailureReason.USER_SUSPENDED
    if isinstance(exc, SecondFactorFailed):
        return FailureReason.TOO_MANY_CODES
    if isinstance(exc, SessionLimitReached):
        return FailureReason.SESSION_LIMIT
    return FailureReason.INVALID_CREDENTIALS


async def _record(
    uow: UnitOfWork, pending: Pending, status: SignInStatus, *, at: datetime
) -> SignInAttempt:
    """Writes the attempt at its new status: a new one is added; a stored one moves on from its
    status only once, whoever races (the loser is told the attempt is gone)."""
    moved = pending.moved(status, at=at)
    if not await _store(uow, pending, moved):
        raise AttemptNotFound("no sign-in attempt is waiting for that step")
    return moved


async def _record_failure(
    uow: UnitOfWork, pending: Pending, reason: FailureReason, *, at: datetime
) -> None:
    """A stored attempt another request has moved on meanwhile stays as that request left it
    (and its failure, with no `sign_in.failed`)."""
    failed = replace(
        pending.attempt, status=SignInStatus.FAILED, failure_reason=reason, updated_at=at
    )
    if await _store(uow, pending, failed):
        await uow.events.add(sign_in_failed(failed))


async def _store(uow: UnitOfWork, pending: Pending, new: SignInAttempt) -> bool:
    """Adds a new attempt, or moves a stored one on from its status; False if another request
    moved it first."""
    if not pending.stored:
        await uow.sign_ins.add(new)
        return True
    return await uow.sign_ins.update(new, from_status=pending.attempt.status)
