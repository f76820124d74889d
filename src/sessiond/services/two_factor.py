"""The second factor a REST call asks for (Rocket.Chat's rules): TOTP or a backup code, a code
mailed to a verified address, or the password's SHA-256 when the user has neither. A proof holds
for the same session, user agent and address for `TRUST_PERIOD`, in the database, so every node
honours it."""

from __future__ import annotations

import asyncio
import hmac
import secrets
import uuid
from datetime import datetime
from enum import Enum
from typing import Protocol

from sessiond.domain.ids import new_id
from sessiond.domain.two_factor import (
    EMAIL_CODE_DIGITS,
    EMAIL_CODE_LIFETIME,
    EMAIL_CODE_MAX_TRIES,
    TRUST_PERIOD,
    Challenge,
    EmailCode,
    Method,
    Refusal,
    SecondFactorRefused,
    choose_method,
    client_fingerprint,
    email_code_digits,
)
from sessiond.domain.user import User
from sessiond.infra.totp import backup_code_digest
from sessiond.services.auth import check_second_factor
from sessiond.services.context import Client, Deps
from sessiond.services.sessions import Authenticated
from sessiond.services.users import find_by_identifier, require_user
from sessiond.store.uow import UnitOfWork


class Mailer(Protocol):
    async def send(self, *, to: str, subject: str, text: str) -> None: ...


class _Verdict(Enum):
    PROVED = "proved"
    WRONG = "wrong"
    EXHAUSTED = "exhausted"


class TwoFactorService:
    def __init__(self, *, deps: Deps, mailer: Mailer | None) -> None:
        self._deps = deps
        self._mailer = mailer

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
        chosen = choose_method(method, available)
        generated = chosen is Method.EMAIL and await self._ensure_email_code(user, now=now)
        challenge = Challenge(
            chosen,
            available,
            code_generated=generated,
            email_or_username=_email_or_username(user) if chosen is Method.EMAIL else None,
        )
        if not code:
            raise SecondFactorRefused(Refusal.REQUIRED, challenge)
        verdict = await self._verify(chosen, user, code, now=now)
        if verdict is not _Verdict.PROVED:
            refusal = Refusal.MAX_ATTEMPTS if verdict is _Verdict.EXHAUSTED else Refusal.INVALID
            raise SecondFactorRefused(refusal, challenge)
        async with self._deps.store.unit_of_work() as uow:
            await uow.two_factor.trust(
                session.tenant_id, session.id, fingerprint=fingerprint, until=now + TRUST_PERIOD
            )
            await uow.commit()

    async def methods_of(self, user: User) -> tuple[Method, ...]:
        async with self._deps.store.unit_of_work(write=False) as uow:
            return await self._available(uow, user)

    async def set_email(self, tenant_id: uuid.UUID, user_id: uuid.UUID, *, enabled: bool) -> None:
        async with self._deps.store.unit_of_work() as uow:
            await require_user(uow, tenant_id, user_id, lock=True)
            await uow.two_factor.set_email_enabled(
                tenant_id, user_id, enabled=enabled, at=self._deps.clock.now()
            )
            if not enabled:
                await uow.two_factor.drop_email_code(user_id)
            await uow.commit()

    async def send_email_code(self, tenant_id: uuid.UUID, email_or_username: str) -> None:
        """Mails a fresh code when that user has the email method; says nothing either way."""
        async with self._deps.store.unit_of_work(write=False) as uow:
            user = await find_by_identifier(uow, tenant_id, email_or_username.strip())
            available = () if user is None else await self._available(uow, user)
        if user is not None and Method.EMAIL in available:
            await self._mail_new_code(user, now=self._deps.clock.now())

    async def _available(self, uow: UnitOfWork, user: User) -> tuple[Method, ...]:
        methods = []
        if user.has_second_factor:
            methods.append(Method.TOTP)
        if (
            self._mailer is not None
            and _verified_addresses(user)
            and await uow.two_factor.email_enabled(user.id)
        ):
            methods.append(Method.EMAIL)
        return tuple(methods)

    async def _verify(self, method: Method, user: User, code: str, *, now: datetime) -> _Verdict:
        if method is Method.PASSWORD:
            ok = user.password_hash is not None and await self._deps.passwords.verify(
                user.password_hash, code.strip(), prehashed=True
            )
        elif method is Method.TOTP:
            ok = await self._verify_totp(user, code, now=now)
        else:
            return await self._verify_email(user, code, now=now)
        return _Verdict.PROVED if ok else _Verdict.WRONG

    async def _verify_totp(self, user: User, code: str, *, now: datetime) -> bool:
        async with self._deps.store.unit_of_work() as uow:
            locked = await require_user(uow, user.tenant_id, user.id, lock=True)
            proved = await check_second_factor(uow, locked, code.strip(), now=now)
            await uow.commit()
        return proved is not None

    async def _verify_email(self, user: User, code: str, *, now: datetime) -> _Verdict:
        async with self._deps.store.unit_of_work() as uow:
            current = await uow.two_factor.email_code(user.id)
            if current is None or now >= current.expires_at:
                return _Verdict.WRONG
            if not await uow.two_factor.reserve_email_try(
                current.code_id, limit=EMAIL_CODE_MAX_TRIES
            ):
                return _Verdict.EXHAUSTED
            await uow.commit()
        given = await asyncio.to_thread(_code_digest, email_code_digits(code), current.code_id)
        if hmac.compare_digest(given, current.digest):
            async with self._deps.store.unit_of_work() as uow:
                used = await uow.two_factor.use_email_code(current.code_id)
                await uow.commit()
            if used:
                return _Verdict.PROVED
        if current.tries + 1 >= EMAIL_CODE_MAX_TRIES:
            return _Verdict.EXHAUSTED
        return _Verdict.WRONG

    async def _ensure_email_code(self, user: User, *, now: datetime) -> bool:
        """Mails a new code unless the current one still serves; True when one was mailed."""
        async with self._deps.store.unit_of_work(write=False) as uow:
            current = await uow.two_factor.email_code(user.id)
        if current is not None and current.usable(now=now):
            return False
        await self._mail_new_code(user, now=now)
        return True

    async def _mail_new_code(self, user: User, *, now: datetime) -> None:
        if self._mailer is None:
            return
        digits = "".join(secrets.choice("0123456789") for _ in range(EMAIL_CODE_DIGITS))
        code_id = new_id()
        digest = await asyncio.to_thread(_code_digest, digits, code_id)
        code = EmailCode(user.id, code_id, digest, 0, now + EMAIL_CODE_LIFETIME, now)
        async with self._deps.store.unit_of_work() as uow:
            await uow.two_factor.put_email_code(user.tenant_id, code)
            await uow.commit()
        shown = f"{digits[:3]}-{digits[3:]}"
        for address in _verified_addresses(user):
            await self._mailer.send(
                to=address,
                subject="Authentication code",
                text=f"Here is your authentication code:\n\n{shown}\n\n"
                "Do not give this code to anyone. If you did not try to sign in, ignore this mail.",
            )


def _code_digest(digits: str, code_id: uuid.UUID) -> str:
    """Slow and salted per code, like backup codes: six digits fall to any fast hash."""
    return backup_code_digest(digits, salt=b"email:" + code_id.bytes)


def _verified_addresses(user: User) -> list[str]:
    return [email.address for email in user.emails if email.verified]


def _email_or_username(user: User) -> str | None:
    addresses = _verified_addresses(user)
    return user.username or (addresses[0] if addresses else None)
