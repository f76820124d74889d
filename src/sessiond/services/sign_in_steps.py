"""Steps every sign-in path shares (password, staged, flows, REST two-factor): the identifier
check, a second-factor code check that never replays, and how a failure is recorded."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime

from sessiond.domain.attempts import SignInAttempt, SignInStatus
from sessiond.domain.errors import (
    InvalidInput,
    SecondFactorFailed,
    SessionLimitReached,
    UserSuspended,
)
from sessiond.domain.user import IDENTIFIER_MAX_LENGTH, User, check_text
from sessiond.infra.totp import backup_code_digest, is_backup_code_shaped, totp_step
from sessiond.store.uow import UnitOfWork


def checked_identifier(identifier: str) -> str:
    checked = check_text(identifier.strip(), field="identifier", max_length=IDENTIFIER_MAX_LENGTH)
    if not checked:
        raise InvalidInput("the identifier must not be empty", field="identifier")
    return checked


def failure_reason(exc: Exception) -> str:
    if isinstance(exc, UserSuspended):
        return "user_suspended"
    if isinstance(exc, SecondFactorFailed):
        return "too_many_codes"
    if isinstance(exc, SessionLimitReached):
        return "session_limit"
    return "invalid_credentials"


async def fail_waiting(uow: UnitOfWork, attempt: SignInAttempt, reason: str) -> None:
    """Fails a stored attempt still at its status (waiting for a factor) and commits; an
    attempt another request has moved on meanwhile stays as that request left it."""
    failed = replace(attempt, status=SignInStatus.FAILED, failure_reason=reason)
    await uow.sign_ins.update(failed, from_status=attempt.status)
    await uow.commit()


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
    if not is_backup_code_shaped(code):
        return None
    digest = await asyncio.to_thread(backup_code_digest, code, salt=user.id.bytes)
    if await uow.users.use_backup_code(user.id, digest, at=now):
        return "lookup_secret"
    return None
