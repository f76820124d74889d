"""Turning TOTP on and off for a user: a pending secret, confirmed by a first code, which also
hands out the single-use backup codes (stored only as slow digests). Every code checked counts
against the user's second-factor try budget (`services.factor_tries`)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field, replace

from sessiond.domain.errors import Conflict, SecondFactorFailed
from sessiond.domain.events import two_factor_changed
from sessiond.domain.two_factor import FactorTries
from sessiond.domain.user import Totp, User
from sessiond.infra.totp import (
    backup_code_digest,
    generate_backup_codes,
    new_totp_secret,
    provisioning_uri,
    totp_step,
)
from sessiond.services.context import Deps
from sessiond.services.factor_tries import reserve_try
from sessiond.services.sign_in_steps import check_second_factor
from sessiond.services.users import require_user
from sessiond.store.uow import UnitOfWork

BACKUP_CODE_COUNT = 12


@dataclass(frozen=True, slots=True)
class PendingTotp:
    secret: str = field(repr=False)
    url: str = field(repr=False)


class TotpEnrolment:
    def __init__(self, *, deps: Deps) -> None:
        self._deps = deps

    async def begin(self, tenant_id: uuid.UUID, user_id: uuid.UUID, *, issuer: str) -> PendingTotp:
        """A new secret, stored but not active until `confirm`; refused while TOTP is on."""
        secret = new_totp_secret()
        async with self._deps.store.unit_of_work() as uow:
            user = await require_user(uow, tenant_id, user_id, lock=True)
            if user.has_second_factor:
                raise Conflict("two-factor authentication is already on", field="totp")
            await self._save(uow, user, Totp(secret=secret, enabled=False))
            await uow.commit()
        return _pending(user, secret, issuer=issuer)

    async def pending(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, *, issuer: str
    ) -> PendingTotp | None:
        """The set-up `begin` left waiting for its first code, if there is one."""
        async with self._deps.store.unit_of_work(write=False) as uow:
            user = await require_user(uow, tenant_id, user_id)
        totp = user.totp
        if totp is None or totp.enabled:
            return None
        return _pending(user, totp.secret, issuer=issuer)

    async def confirm(self, tenant_id: uuid.UUID, user_id: uuid.UUID, code: str) -> list[str]:
        """Turns the pending secret on with a code from it; returns the new backup codes."""
        codes, digests = await self._new_codes(user_id)
        now = self._deps.clock.now()
        async with self._deps.store.unit_of_work() as uow:
            user = await require_user(uow, tenant_id, user_id, lock=True)
            pending = user.totp
            if pending is None or pending.enabled:
                raise Conflict("no two-factor set-up is waiting for a code", field="totp")
            tries = await reserve_try(uow, user, now=now)
            step = totp_step(pending.secret, code.strip(), at=now)
            if step is None or not await uow.users.set_totp_last_step(user.id, step=step):
                await uow.commit()
                raise _wrong(tries)
            await uow.two_factor.clear_factor_tries(user.id)
            await self._save(uow, user, replace(pending, enabled=True))
            await uow.users.replace_backup_codes(tenant_id, user.id, digests)
            await uow.commit()
        return codes

    async def disable(self, tenant_id: uuid.UUID, user_id: uuid.UUID, code: str) -> None:
        """Turns TOTP off with a current code or a backup code; the backup codes go with it."""
        async with self._deps.store.unit_of_work() as uow:
            user = await self._proved(uow, tenant_id, user_id, code)
            await self._save(uow, user, None)
            await uow.users.replace_backup_codes(tenant_id, user.id, [])
            await uow.commit()

    async def regenerate_codes(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, code: str
    ) -> list[str]:
        """New backup codes for old, with a current code or a backup code."""
        codes, digests = await self._new_codes(user_id)
        async with self._deps.store.unit_of_work() as uow:
            user = await self._proved(uow, tenant_id, user_id, code)
            await uow.users.replace_backup_codes(tenant_id, user.id, digests)
            await uow.commit()
        return codes

    async def _proved(
        self, uow: UnitOfWork, tenant_id: uuid.UUID, user_id: uuid.UUID, code: str
    ) -> User:
        user = await require_user(uow, tenant_id, user_id, lock=True)
        if not user.has_second_factor:
            raise Conflict("two-factor authentication is off", field="totp")
        now = self._deps.clock.now()
        tries = await reserve_try(uow, user, now=now)
        if await check_second_factor(uow, user, code.strip(), now=now) is None:
            await uow.commit()
            raise _wrong(tries)
        await uow.two_factor.clear_factor_tries(user.id)
        return user

    async def _save(self, uow: UnitOfWork, user: User, totp: Totp | None) -> None:
        now = self._deps.clock.now()
        saved = replace(user, totp=totp, updated_at=now)
        await uow.users.update(saved)
        if saved.has_second_factor != user.has_second_factor:
            enabled = saved.has_second_factor
            await uow.events.add(
                two_factor_changed(user.tenant_id, user.id, method="totp", enabled=enabled, at=now)
            )

    async def _new_codes(self, user_id: uuid.UUID) -> tuple[list[str], list[str]]:
        codes = generate_backup_codes(BACKUP_CODE_COUNT)
        digests = await asyncio.to_thread(
            lambda: [backup_code_digest(code, salt=user_id.bytes) for code in codes]
        )
        return codes, digests


def _pending(user: User, secret: str, *, issuer: str) -> PendingTotp:
    account = user.username or user.primary_email or user.id.hex
    return PendingTotp(secret, provisioning_uri(secret=secret, account=account, issuer=issuer))


def _wrong(tries: FactorTries) -> SecondFactorFailed:
    """A wrong code; `exhausted` when it spent the user's last try."""
    return SecondFactorFailed(
        "the code is wrong or was already used", exhausted=tries.locked_until is not None
    )
