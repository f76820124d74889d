"""The REST second factor's state: trusted sessions, email second factor, mailed codes, and each
user's recent second-factor tries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.domain.two_factor import EmailCode, FactorTries
from sessiond.store.tables import email_codes, email_two_factor, factor_tries, two_factor_trust


class TwoFactorRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def is_trusted(self, session_id: uuid.UUID, *, fingerprint: str, now: datetime) -> bool:
        query = select(two_factor_trust.c.session_id).where(
            two_factor_trust.c.session_id == session_id,
            two_factor_trust.c.fingerprint == fingerprint,
            two_factor_trust.c.trusted_until > now,
        )
        return (await self._conn.execute(query)).first() is not None

    async def trust(
        self, tenant_id: uuid.UUID, session_id: uuid.UUID, *, fingerprint: str, until: datetime
    ) -> None:
        """Trusts one client of one session until `until`, replacing any earlier trust."""
        await self._conn.execute(
            delete(two_factor_trust).where(two_factor_trust.c.session_id == session_id)
        )
        await self._conn.execute(
            insert(two_factor_trust).values(
                session_id=session_id,
                tenant_id=tenant_id,
                fingerprint=fingerprint,
                trusted_until=until,
            )
        )

    async def email_enabled(self, user_id: uuid.UUID) -> bool:
        query = select(email_two_factor.c.user_id).where(email_two_factor.c.user_id == user_id)
        return (await self._conn.execute(query)).first() is not None

    async def set_email_enabled(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, *, enabled: bool, at: datetime
    ) -> bool:
        """Turns e-mailed codes on or off; True when that changed whether they were on."""
        dropped = await self._conn.execute(
            delete(email_two_factor).where(email_two_factor.c.user_id == user_id)
        )
        if enabled:
            await self._conn.execute(
                insert(email_two_factor).values(user_id=user_id, tenant_id=tenant_id, enabled_at=at)
            )
        return (dropped.rowcount > 0) != enabled

    async def last_mailed_at(self, user_id: uuid.UUID) -> datetime | None:
        query = select(email_two_factor.c.last_mailed_at).where(
            email_two_factor.c.user_id == user_id
        )
        value: datetime | None = (await self._conn.execute(query)).scalar()
        return value

    async def set_last_mailed_at(self, user_id: uuid.UUID, at: datetime | None) -> None:
        await self._conn.execute(
            update(email_two_factor)
            .where(email_two_factor.c.user_id == user_id)
            .values(last_mailed_at=at)
        )

    async def email_code(self, user_id: uuid.UUID) -> EmailCode | None:
        query = select(email_codes).where(email_codes.c.user_id == user_id)
        row = (await self._conn.execute(query)).mappings().first()
        if row is None:
            return None
        return EmailCode(
            user_id=row["user_id"],
            code_id=row["code_id"],
            digest=row["digest"],
            tries=row["tries"],
            expires_at=row["expires_at"],
            created_at=row["created_at"],
        )

    async def put_email_code(self, tenant_id: uuid.UUID, code: EmailCode) -> None:
        """Stores `code` as the user's one code, replacing the one before."""
        await self.drop_email_code(code.user_id)
        await self._conn.execute(
            insert(email_codes).values(
                user_id=code.user_id,
                tenant_id=tenant_id,
                code_id=code.code_id,
                digest=code.digest,
                tries=code.tries,
                expires_at=code.expires_at,
                created_at=code.created_at,
            )
        )

    async def reserve_email_try(self, code_id: uuid.UUID, *, limit: int) -> int | None:
        """Counts one try at this code, before it is checked, atomically: the number this try is
        (1 for the first), or None once `limit` tries were made."""
        result = await self._conn.execute(
            update(email_codes)
            .where(email_codes.c.code_id == code_id, email_codes.c.tries < limit)
            .values(tries=email_codes.c.tries + 1)
            .returning(email_codes.c.tries)
        )
        tries: int | None = result.scalar_one_or_none()
        return tries

    async def use_email_code(self, code_id: uuid.UUID) -> bool:
        """Removes a code that was just proved; False when another request used it first."""
        result = await self._conn.execute(
            delete(email_codes).where(email_codes.c.code_id == code_id)
        )
        return result.rowcount > 0

    async def discard_email_code(self, code_id: uuid.UUID) -> None:
        """Removes a code that never reached its user (the mail failed)."""
        await self._conn.execute(delete(email_codes).where(email_codes.c.code_id == code_id))

    async def drop_email_code(self, user_id: uuid.UUID) -> None:
        await self._conn.execute(delete(email_codes).where(email_codes.c.user_id == user_id))

    async def factor_tries(self, user_id: uuid.UUID) -> FactorTries | None:
        query = select(factor_tries).where(factor_tries.c.user_id == user_id)
        row = (await self._conn.execute(query)).mappings().first()
        if row is None:
            return None
        return FactorTries(row["tries"], row["window_started_at"], row["locked_until"])

    async def put_factor_tries(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, tries: FactorTries
    ) -> None:
        """Replaces the user's count; the caller holds the user's row lock."""
        await self.clear_factor_tries(user_id)
        await self._conn.execute(
            insert(factor_tries).values(
                user_id=user_id,
                tenant_id=tenant_id,
                tries=tries.tries,
                window_started_at=tries.window_started_at,
                locked_until=tries.locked_until,
            )
        )

    async def clear_factor_tries(self, user_id: uuid.UUID) -> None:
        await self._conn.execute(delete(factor_tries).where(factor_tries.c.user_id == user_id))
