"""Checks the sign-in pipeline and the doors' second-factor steps share: the identifier, and a
second-factor code that never replays."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sessiond.domain.errors import (
    InvalidInput,
)
from sessiond.domain.user import IDENTIFIER_MAX_LENGTH, User, check_text
from sessiond.infra.totp import backup_code_digest, is_backup_code_shaped, totp_step
from sessiond.store.uow import UnitOfWork


def checked_identifier(identifier: str) -> str:
    checked = check_text(identifier.strip(), field="identifier", max_length=IDENTIFIER_MAX_LENGTH)
    if not checked:
        raise InvalidInput("the identifier must not be empty", field="identifier")
    return checked


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
