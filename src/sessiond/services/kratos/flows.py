"""Login and registration flows (opened, then submitted) and the AAL2 step-up of a session.

Flows are sign-in and sign-up attempts kept open (domain/flows.py). A password submitted on a login
flow signs in through the sign-in pipeline (`sign_in.py`), which records its own attempt and
consumes the flow in the unit of work that issues the session: a flow serves one sign-in or
sign-up, however many race for it. A flow that asks for AAL2 raises the level of the session that
opened it once a second factor is proved.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from sessiond.domain.attempts import (
    FailureReason,
    SignInAttempt,
    SignInStatus,
    SignUpAttempt,
    SignUpStatus,
    Strategy,
    password_strategy,
)
from sessiond.domain.device import truncate_user_agent
from sessiond.domain.errors import (
    AlreadySignedIn,
    AttemptNotFound,
    InvalidInput,
    NotLiveReason,
    SecondFactorFailed,
    SessionNotLive,
)
from sessiond.domain.events import sign_in_failed
from sessiond.domain.flows import check_open_login, check_open_registration, stepped_up
from sessiond.domain.ids import new_id
from sessiond.domain.listing import SessionRecord
from sessiond.domain.session import AAL, Session
from sessiond.domain.user import User
from sessiond.infra.totp import TOTP_DIGITS, is_backup_code_shaped
from sessiond.services.context import DEFAULT_TOKEN_FORMAT, Client, Deps, TokenFormat
from sessiond.services.issuing import IssuedSession, lock_user
from sessiond.services.sessions import SessionService
from sessiond.services.sign_in import (
    MAX_FACTOR_TRIES,
    ClaimLoginFlow,
    DoorStep,
    PasswordSignIn,
    SecondFactorDue,
    SignInPipeline,
)
from sessiond.services.sign_in_steps import check_second_factor
from sessiond.services.sign_up import SignUpResult, SignUpService
from sessiond.services.tenants import known_tenant
from sessiond.services.users import NewUser
from sessiond.store.uow import UnitOfWork

SECOND_FACTOR_METHODS = frozenset({"totp", "lookup_secret"})


class FlowService:
    def __init__(
        self,
        *,
        deps: Deps,
        sign_ins: SignInPipeline,
        sign_ups: SignUpService,
        sessions: SessionService,
    ) -> None:
        self._deps = deps
        self._sign_ins = sign_ins
        self._sign_ups = sign_ups
        self._sessions = sessions

    async def start_login(
        self,
        tenant_id: uuid.UUID,
        *,
        aal: AAL,
        session_token: str | None,
        client: Client,
        refresh: bool = False,
    ) -> SignInAttempt:
        """Opens a login flow. AAL2 needs the token of a live session whose user has a second
        factor: that session is the one the flow will step up. An AAL1 flow is refused to a
        caller whose token names a live session, unless it asks to `refresh` (Kratos)."""
        if aal not in (AAL.AAL1, AAL.AAL2):
            raise InvalidInput("a login flow asks for aal1 or aal2", field="aal")
        if aal is AAL.AAL1 and session_token and not refresh:
            await self._refuse_if_signed_in(tenant_id, session_token)
        step_up: SessionRecord | None = None
        if aal is AAL.AAL2:
            if not session_token:
                raise SessionNotLive(NotLiveReason.UNKNOWN)
            step_up = (await self._sessions.authenticate(tenant_id, session_token)).record
            if not step_up.user.has_second_factor:
                raise InvalidInput("aal2 needs a second factor and this user has none", field="aal")
        flow = self._new_login(tenant_id, aal, step_up, client)
        await known_tenant(self._deps, tenant_id)
        async with self._deps.store.single_write() as uow:
            await uow.sign_ins.add(flow)
            await uow.commit()
        return flow

    async def _refuse_if_signed_in(self, tenant_id: uuid.UUID, session_token: str) -> None:
        try:
            await self._sessions.authenticate(tenant_id, session_token)
        except SessionNotLive:
            return
        raise AlreadySignedIn("a live session was presented: log in again with refresh")

    async def login_flow(self, tenant_id: uuid.UUID, flow_id: uuid.UUID) -> SignInAttempt:
        await known_tenant(self._deps, tenant_id)
        async with self._deps.store.unit_of_work(write=False) as uow:
            flow = await uow.sign_ins.get(tenant_id, flow_id)
        return check_open_login(flow, now=self._deps.clock.now())

    async def sign_in_password(
        self,
        tenant_id: uuid.UUID,
        flow_id: uuid.UUID,
        *,
        identifier: str,
        password: str,
        client: Client,
        token_format: TokenFormat = DEFAULT_TOKEN_FORMAT,
    ) -> IssuedSession:
        """Signs in on an open AAL1 flow; a user with a second factor gets an AAL1 session that a
        later AAL2 flow steps up. A wrong password leaves the flow open for another try."""
        flow = await self.login_flow(tenant_id, flow_id)
        if flow.requested_aal is AAL.AAL2:
            raise InvalidInput("this flow asks for a second factor", field="method")
        strategy = password_strategy(identifier)
        result = await self._sign_ins.password(
            PasswordSignIn(
                tenant_id,
                identifier=identifier,
                password=password,
                client=client,
                strategy=strategy,
                token_format=token_format,
                second_factor=SecondFactorDue.AFTER_SESSION,
                door_step=ClaimLoginFlow(tenant_id, flow.id),
            )
        )
        if result.issued is None:
            raise AttemptNotFound("the sign-in did not complete")
        return result.issued

    async def step_up(
        self,
        tenant_id: uuid.UUID,
        flow_id: uuid.UUID,
        *,
        session_token: str,
        method: str,
        code: str,
    ) -> SessionRecord:
        """Raises the flow's session to AAL2 with a TOTP code (`totp`) or a backup code
        (`lookup_secret`). Codes never replay; the fifth wrong one closes the flow."""
        if method not in SECOND_FACTOR_METHODS:
            raise InvalidInput(f"method {method[:32]!r} is not a second factor", field="method")
        record = (await self._sessions.authenticate(tenant_id, session_token)).record
        now = self._deps.clock.now()
        async with self._deps.store.unit_of_work() as uow:
            flow, tries = await _step_up_try(uow, tenant_id, flow_id, record, now=now)
            user = await lock_user(
                uow, tenant_id=tenant_id, user_id=record.user.id, password_hash=None
            )
            proved = None
            if _shaped(method, code):
                proved = await check_second_factor(uow, user, code, now=now)
            if proved is None:
                exhausted = tries >= MAX_FACTOR_TRIES
                if exhausted:
                    await _close(uow, flow)
                await uow.commit()  # the counted try stays counted
                raise _wrong_code(exhausted=exhausted)
            session = stepped_up(record.session, method=proved, now=now)
            await _complete_step_up(uow, flow, session, user, now=now)
            await uow.commit()
        return replace(record, session=session, user=user)

    async def start_registration(self, tenant_id: uuid.UUID, *, client: Client) -> SignUpAttempt:
        now = self._deps.clock.now()
        flow = SignUpAttempt(
            id=new_id(),
            tenant_id=tenant_id,
            strategy=Strategy.USERNAME_PASSWORD,
            status=SignUpStatus.MISSING_REQUIREMENTS,
            created_at=now,
            updated_at=now,
            ip=client.ip,
            user_agent=truncate_user_agent(client.user_agent),
        )
        await known_tenant(self._deps, tenant_id)
        async with self._deps.store.unit_of_work() as uow:
            await uow.sign_ups.add(flow)
            await uow.commit()
        return flow

    async def registration_flow(self, tenant_id: uuid.UUID, flow_id: uuid.UUID) -> SignUpAttempt:
        await known_tenant(self._deps, tenant_id)
        async with self._deps.store.unit_of_work(write=False) as uow:
            flow = await uow.sign_ups.get(tenant_id, flow_id)
        return check_open_registration(flow, now=self._deps.clock.now())

    async def sign_up_password(
        self,
        tenant_id: uuid.UUID,
        flow_id: uuid.UUID,
        new: NewUser,
        *,
        client: Client,
        token_format: TokenFormat = DEFAULT_TOKEN_FORMAT,
    ) -> SignUpResult:
        """Creates the user and its first session on an open flow, consuming it in the same unit
        of work."""
        flow = await self.registration_flow(tenant_id, flow_id)
        strategy = Strategy.USERNAME_PASSWORD if new.username else Strategy.EMAIL_PASSWORD
        return await self._sign_ups.sign_up_password(
            tenant_id,
            new,
            client=client,
            strategy=strategy,
            token_format=token_format,
            door_step=_claim_registration(tenant_id, flow.id),
        )

    def _new_login(
        self, tenant_id: uuid.UUID, aal: AAL, step_up: SessionRecord | None, client: Client
    ) -> SignInAttempt:
        now = self._deps.clock.now()
        return SignInAttempt(
            id=new_id(),
            tenant_id=tenant_id,
            identifier="",
            strategy=Strategy.USERNAME_PASSWORD if step_up is None else Strategy.AUTHENTICATOR_CODE,
            status=SignInStatus.NEEDS_IDENTIFIER,
            created_at=now,
            updated_at=now,
            user_id=None if step_up is None else step_up.user.id,
            ip=client.ip,
            user_agent=truncate_user_agent(client.user_agent),
            requested_aal=aal,
            step_up_session_id=None if step_up is None else step_up.session.id,
        )


def _claim_registration(tenant_id: uuid.UUID, flow_id: uuid.UUID) -> DoorStep:
    async def claim(uow: UnitOfWork) -> None:
        if not await uow.sign_ups.delete_open(tenant_id, flow_id):
            raise AttemptNotFound("no registration flow with that id is open")

    return claim


async def _step_up_try(
    uow: UnitOfWork,
    tenant_id: uuid.UUID,
    flow_id: uuid.UUID,
    record: SessionRecord,
    *,
    now: datetime,
) -> tuple[SignInAttempt, int]:
    """The open step-up flow of this session, with one more try counted against it."""
    flow = check_open_login(await uow.sign_ins.get(tenant_id, flow_id), now=now)
    if flow.step_up_session_id != record.session.id:
        raise AttemptNotFound("this login flow was opened for another session")
    tries = await uow.sign_ins.reserve_flow_try(flow.id, limit=MAX_FACTOR_TRIES, at=now)
    if tries is None:
        raise AttemptNotFound("no login flow with that id is open")
    return flow, tries


async def _complete_step_up(
    uow: UnitOfWork, flow: SignInAttempt, session: Session, user: User, *, now: datetime
) -> None:
    if not await uow.sessions.raise_assurance(
        session.id, aal=session.aal, methods=session.methods, at=now
    ):
        raise SessionNotLive(NotLiveReason.ENDED)
    done = replace(
        flow,
        status=SignInStatus.COMPLETE,
        identifier=user.username or user.primary_email or "",
        updated_at=now,
    )
    await uow.sign_ins.update(done, from_status=SignInStatus.NEEDS_IDENTIFIER)


def _shaped(method: str, code: str) -> bool:
    """A `totp` code is six digits, a `lookup_secret` a backup code: each method takes its own."""
    if method == "totp":
        digits = code.replace(" ", "")
        return len(digits) == TOTP_DIGITS and digits.isascii() and digits.isdigit()
    return is_backup_code_shaped(code)


async def _close(uow: UnitOfWork, flow: SignInAttempt) -> None:
    """The last wrong code closes the flow."""
    failed = replace(flow, status=SignInStatus.FAILED, failure_reason=FailureReason.TOO_MANY_CODES)
    if await uow.sign_ins.update(failed, from_status=SignInStatus.NEEDS_IDENTIFIER):
        await uow.events.add(sign_in_failed(failed))


def _wrong_code(*, exhausted: bool) -> SecondFactorFailed:
    if exhausted:
        return SecondFactorFailed("too many wrong codes: start a new flow", exhausted=True)
    return SecondFactorFailed("the code is wrong or was already used")
