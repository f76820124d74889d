"""Codes mailed as a second factor: minted under the user's row lock, never replaced while
pending, mailed at most once a minute, removed again when the mail fails, and tried at most
`EMAIL_CODE_MAX_TRIES` times each (every try counted before its check)."""

from __future__ import annotations

import asyncio
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Protocol

from sessiond.domain.ids import new_id
from sessiond.domain.two_factor import (
    EMAIL_CODE_DIGITS,
    EMAIL_CODE_LIFETIME,
    EMAIL_CODE_MAX_TRIES,
    EmailCode,
    email_code_digits,
    may_mint_email_code,
)
from sessiond.domain.user import User
from sessiond.infra.totp import backup_code_digest
from sessiond.services.context import Deps
from sessiond.services.users import require_user


class Mailer(Protocol):
    async def send(self, *, to: str, subject: str, text: str) -> None: ...


class Verdict(Enum):
    PROVED = "proved"
    WRONG = "wrong"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True, slots=True)
class _Minted:
    digits: str = field(repr=False)
    code_id: uuid.UUID
    previous_mail: datetime | None


class EmailCodes:
    def __init__(self, *, deps: Deps, mailer: Mailer) -> None:
        self._deps = deps
        self._mailer = mailer

    async def current(self, user_id: uuid.UUID) -> EmailCode | None:
        async with self._deps.store.unit_of_work(write=False) as uow:
            return await uow.two_factor.email_code(user_id)

    async def ensure(self, user: User, *, now: datetime) -> bool:
        """Mints and mails a code unless one is pending or a mail went out under a minute ago;
        True when one was mailed. A failed mail leaves no code behind and raises."""
        async with self._deps.store.unit_of_work(write=False) as uow:
            current = await uow.two_factor.email_code(user.id)
            last = await uow.two_factor.last_mailed_at(user.id)
        if not may_mint_email_code(current, last, now=now):
            return False
        minted = await self._mint(user, now=now)
        if minted is None:
            return False
        await self._mail(user, minted)
        return True

    async def verify(self, user: User, code: str, *, now: datetime) -> Verdict:
        async with self._deps.store.unit_of_work() as uow:
            current = await uow.two_factor.email_code(user.id)
            if current is None or now >= current.expires_at:
                return Verdict.WRONG
            tries = await uow.two_factor.reserve_email_try(
                current.code_id, limit=EMAIL_CODE_MAX_TRIES
            )
            if tries is None:
                return Verdict.EXHAUSTED
            await uow.commit()
        given = await asyncio.to_thread(_code_digest, email_code_digits(code), current.code_id)
        if hmac.compare_digest(given, current.digest):
            async with self._deps.store.unit_of_work() as uow:
                used = await uow.two_factor.use_email_code(current.code_id)
                await uow.commit()
            if used:
                return Verdict.PROVED
        # The count this try reserved, not the one read before it: concurrent tries read the
        # same count, and the one that used up the budget must say so.
        if tries >= EMAIL_CODE_MAX_TRIES:
            return Verdict.EXHAUSTED
        return Verdict.WRONG

    async def _mint(self, user: User, *, now: datetime) -> _Minted | None:
        """Checks and stores in one transaction under the user's row lock, so two requests never
        both mint (nor collide on the user's one row)."""
        digits = "".join(secrets.choice("0123456789") for _ in range(EMAIL_CODE_DIGITS))
        code_id = new_id()
        digest = await asyncio.to_thread(_code_digest, digits, code_id)
        code = EmailCode(user.id, code_id, digest, 0, now + EMAIL_CODE_LIFETIME, now)
        async with self._deps.store.unit_of_work() as uow:
            await require_user(uow, user.tenant_id, user.id, lock=True)
            current = await uow.two_factor.email_code(user.id)
            last = await uow.two_factor.last_mailed_at(user.id)
            if not may_mint_email_code(current, last, now=now):
                return None
            await uow.two_factor.put_email_code(user.tenant_id, code)
            await uow.two_factor.set_last_mailed_at(user.id, now)
            await uow.commit()
        return _Minted(digits, code_id, last)

    async def _mail(self, user: User, minted: _Minted) -> None:
        shown = f"{minted.digits[:3]}-{minted.digits[3:]}"
        try:
            for address in verified_addresses(user):
                await self._mailer.send(
                    to=address,
                    subject="Authentication code",
                    text=f"Here is your authentication code:\n\n{shown}\n\n"
                    "Do not give this code to anyone. If you did not try to sign in, ignore "
                    "this mail.",
                )
        except Exception:
            async with self._deps.store.unit_of_work() as uow:
                await uow.two_factor.discard_email_code(minted.code_id)
                await uow.two_factor.set_last_mailed_at(user.id, minted.previous_mail)
                await uow.commit()
            raise


def _code_digest(digits: str, code_id: uuid.UUID) -> str:
    """Slow and salted per code, like backup codes: six digits fall to any fast hash."""
    return backup_code_digest(digits, salt=b"email:" + code_id.bytes)


def verified_addresses(user: User) -> list[str]:
    return [email.address for email in user.emails if email.verified]
