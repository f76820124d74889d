"""The second factor a REST call asks for (Rocket.Chat's rules): TOTP or a backup code, a code
mailed to a verified address, or the password's SHA-256 when the user has neither. A proof holds
for the same session, user agent and address for `TRUST_PERIOD`, in the database, so every node
honours it. Every code checked counts against the user's try budget (`services.factor_tries`)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sessiond.domain.errors import (
    AuthenticationFailed,
    LockedOut,
    SecondFactorFailed,
    SessiondError,
)
from sessiond.domain.events import two_factor_changed
from sessiond.domain.two_factor import (
    TRUST_PERIOD,
    Challenge,
    FactorTries,
    Method,
    Refusal,
    SecondFactorRefused,
    choose_method,
    client_fingerprint,
)
from sessiond.domain.user import User
from sessiond.services.context import Client, Deps
from sessiond.services.factor_tries import forget_tries, reserve_try_now
from sessiond.services.rocketchat.email_codes import EmailCodes, Mailer, Verdict, verified_addresses
from sessiond.services.sessions import Authenticated
from sessiond.services.sign_in import SignInPipeline, SignInResult
from sessiond.services.sign_in_steps import check_second_factor
from sessiond.services.users import find_by_identifier, require_user
from sessiond.store.uow import UnitOfWork

__all__ = ["Mailer", "TwoFactorService"]

log = logging.getLogger(__name__)


class TwoFactorService:
    def __init__(self, *, deps: Deps, sign_ins: SignInPipeline, codes: EmailCodes | None) -> None:
        """`codes` mails codes to verified addresses; without it (no SMTP) email is no method."""
        self._deps = deps
        self._sign_ins = sign_ins
        self._codes = codes

    async def require(
        self, auth: Authenticated, *, code: str | None, method: str | None, client: Client
    ) -> None:
        """Returns when the caller proved a second factor now or recently from this client;
        raises `SecondFactorRefused` saying what to send otherwise."""
        session, user = auth.record.session, auth.record.user
        fingerprint = client_fingerprint(user_agent=client.user_agent, ip=client.ip)
        now = self._deps.clock.now()
        async with self._deps.store.unit_of_work(write=False) as uow:
            if await uow.two_factor.is_trusted(session.id, fingerprint=fingerprint, now=now):
                return
            available = await self._available(uow, user)
        challenge = await self._challenge(user, choose_method(method, available), available, now)
        if not code:
            raise SecondFactorRefused(Refusal.REQUIRED, challenge)
        await self._prove(user, code, challenge, now=now)
        async with self._deps.store.unit_of_work() as uow:
            await uow.two_factor.trust(
                session.tenant_id, session.id, fingerprint=fingerprint, until=now + TRUST_PERIOD
            )
            await uow.commit()

    async def complete_sign_in(
        self, waiting: SignInResult, code: str | None, *, client: Client
    ) -> SignInResult:
        """Rocket.Chat's login with a code: the TOTP challenge, and the user's try budget."""
        attempt = waiting.attempt
        if attempt.user_id is None:
            raise AuthenticationFailed("the sign-in attempt has no user")
        async with self._deps.store.unit_of_work(write=False) as uow:
            user = await require_user(uow, attempt.tenant_id, attempt.user_id)
            available = await self._available(uow, user)
        challenge = Challenge(Method.TOTP, available or (Method.TOTP,))
        if not code:
            raise SecondFactorRefused(Refusal.REQUIRED, challenge)
        tries = await self._reserve(user, challenge)
        try:
            result = await self._sign_ins.second_factor(
                attempt.tenant_id, attempt.id, code=code, client=client
            )
        except SecondFactorFailed as exc:
            exhausted = exc.exhausted or tries.locked_until is not None
            refusal = Refusal.MAX_ATTEMPTS if exhausted else Refusal.INVALID
            raise SecondFactorRefused(refusal, challenge) from exc
        await forget_tries(self._deps, user)
        return result

    async def methods_of(self, user: User) -> tuple[Method, ...]:
        """What `me` shows on every call: no database round trip unless mailed codes could be
        among them."""
        if not self._may_mail(user):
            return _totp_of(user)
        async with self._deps.store.unit_of_work(write=False) as uow:
            return await self._available(uow, user)

    async def set_email(self, tenant_id: uuid.UUID, user_id: uuid.UUID, *, enabled: bool) -> None:
        async with self._deps.store.unit_of_work() as uow:
            await require_user(uow, tenant_id, user_id, lock=True)
            now = self._deps.clock.now()
            if await uow.two_factor.set_email_enabled(tenant_id, user_id, enabled=enabled, at=now):
                await uow.events.add(
                    two_factor_changed(tenant_id, user_id, method="email", enabled=enabled, at=now)
                )
            if not enabled:
                await uow.two_factor.drop_email_code(user_id)
            await uow.commit()

    async def send_email_code(self, tenant_id: uuid.UUID, email_or_username: str) -> None:
        """Mails a code when that user has the email method and none is pending (throttled).
        Meant to run after the answer went out, so it reports trouble only to the log."""
        try:
            async with self._deps.store.unit_of_work(write=False) as uow:
                user = await find_by_identifier(uow, tenant_id, email_or_username.strip())
                available = () if user is None else await self._available(uow, user)
            if user is not None and self._codes is not None and Method.EMAIL in available:
                await self._codes.ensure(user, now=self._deps.clock.now())
        except SessiondError as exc:
            log.warning("an email code was not mailed: %s", exc.message)

    async def _challenge(
        self, user: User, chosen: Method, available: tuple[Method, ...], now: datetime
    ) -> Challenge:
        if chosen is not Method.EMAIL or self._codes is None:
            return Challenge(chosen, available)
        shown = _email_or_username(user)
        current = await self._codes.current(user.id)
        if current is not None and current.used_up(now=now):
            challenge = Challenge(chosen, available, email_or_username=shown)
            raise SecondFactorRefused(Refusal.MAX_ATTEMPTS, challenge)
        generated = await self._codes.ensure(user, now=now)
        return Challenge(chosen, available, code_generated=generated, email_or_username=shown)

    async def _prove(self, user: User, code: str, challenge: Challenge, *, now: datetime) -> None:
        tries = await self._reserve(user, challenge)
        verdict = await self._verify(challenge.method, user, code, now=now)
        if verdict is Verdict.PROVED:
            await forget_tries(self._deps, user)
            return
        exhausted = verdict is Verdict.EXHAUSTED or tries.locked_until is not None
        raise SecondFactorRefused(Refusal.MAX_ATTEMPTS if exhausted else Refusal.INVALID, challenge)

    async def _reserve(self, user: User, challenge: Challenge) -> FactorTries:
        try:
            return await reserve_try_now(self._deps, user, now=self._deps.clock.now())
        except LockedOut as exc:
            raise SecondFactorRefused(Refusal.MAX_ATTEMPTS, challenge) from exc

    async def _available(self, uow: UnitOfWork, user: User) -> tuple[Method, ...]:
        methods = _totp_of(user)
        if self._may_mail(user) and await uow.two_factor.email_enabled(user.id):
            return (*methods, Method.EMAIL)
        return methods

    def _may_mail(self, user: User) -> bool:
        return self._codes is not None and bool(verified_addresses(user))

    async def _verify(self, method: Method, user: User, code: str, *, now: datetime) -> Verdict:
        if method is Method.EMAIL and self._codes is not None:
            return await self._codes.verify(user, code, now=now)
        if method is Method.PASSWORD:
            ok = user.password_hash is not None and await self._deps.passwords.verify(
                user.password_hash, code.strip(), prehashed=True
            )
        else:
            ok = await self._verify_totp(user, code, now=now)
        return Verdict.PROVED if ok else Verdict.WRONG

    async def _verify_totp(self, user: User, code: str, *, now: datetime) -> bool:
        async with self._deps.store.unit_of_work() as uow:
            locked = await require_user(uow, user.tenant_id, user.id, lock=True)
            proved = await check_second_factor(uow, locked, code.strip(), now=now)
            await uow.commit()
        return proved is not None


def _totp_of(user: User) -> tuple[Method, ...]:
    return (Method.TOTP,) if user.has_second_factor else ()


def _email_or_username(user: User) -> str | None:
    addresses = verified_addresses(user)
    return user.username or (addresses[0] if addresses else None)
