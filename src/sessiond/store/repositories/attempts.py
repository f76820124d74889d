from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert

from sessiond.domain.attempts import (
    FailureReason,
    SignInAttempt,
    SignInStatus,
    SignUpAttempt,
    SignUpStatus,
    Strategy,
)
from sessiond.domain.listing import KeysetCursor
from sessiond.domain.session import AAL
from sessiond.store.repositories.keyset import keyset_rows
from sessiond.store.tables import sign_in_attempts, sign_up_attempts, users


def _sign_in(row: RowMapping) -> SignInAttempt:
    return SignInAttempt(
        id=row["id"],
        tenant_id=row["tenant_id"],
        identifier=row["identifier"],
        strategy=Strategy(row["strategy"]),
        status=SignInStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        user_id=row["user_id"],
        ip=row["ip"],
        user_agent=row["user_agent"],
        oauth_provider_id=row["oauth_provider_id"],
        failure_reason=None
        if row["failure_reason"] is None
        else FailureReason(row["failure_reason"]),
        factor_tries=row["factor_tries"],
        requested_aal=None if row["requested_aal"] is None else AAL(row["requested_aal"]),
        step_up_session_id=row["step_up_session_id"],
    )


def _sign_up(row: RowMapping) -> SignUpAttempt:
    return SignUpAttempt(
        id=row["id"],
        tenant_id=row["tenant_id"],
        strategy=Strategy(row["strategy"]),
        status=SignUpStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        user_id=row["user_id"],
        ip=row["ip"],
        user_agent=row["user_agent"],
    )


def _existing_user(user_id: uuid.UUID | None) -> Any:
    """The user id if that user still exists, else NULL: a user deleted while signing in must
    not turn the record of the attempt into a foreign-key error."""
    if user_id is None:
        return None
    return select(users.c.id).where(users.c.id == user_id).scalar_subquery()


def _sign_in_values(attempt: SignInAttempt) -> dict[str, Any]:
    return {
        "tenant_id": attempt.tenant_id,
        "user_id": attempt.user_id,
        "identifier": attempt.identifier,
        "strategy": attempt.strategy.value,
        "status": attempt.status.value,
        "failure_reason": None if attempt.failure_reason is None else attempt.failure_reason.value,
        "ip": attempt.ip,
        "user_agent": attempt.user_agent,
        "oauth_provider_id": attempt.oauth_provider_id,
        "updated_at": attempt.updated_at,
        "requested_aal": None if attempt.requested_aal is None else attempt.requested_aal.value,
        "step_up_session_id": attempt.step_up_session_id,
    }


def _sign_up_values(attempt: SignUpAttempt) -> dict[str, Any]:
    return {
        "tenant_id": attempt.tenant_id,
        "user_id": attempt.user_id,
        "strategy": attempt.strategy.value,
        "status": attempt.status.value,
        "ip": attempt.ip,
        "user_agent": attempt.user_agent,
        "updated_at": attempt.updated_at,
    }


# The columns a new attempt is written with, besides its user (see `insert_sign_in_attempt`).
NEW_ATTEMPT_COLUMNS = tuple(
    c.name for c in sign_in_attempts.c if c.name not in ("user_id", "factor_tries")
)


def insert_sign_in_attempt(prefix: str = "") -> Insert:
    """A new attempt's insert, built once and given its values as parameters named `prefix` +
    column (`sign_in_attempt_params`), so that it can ride in another statement (see
    `SessionRepository.add`); the user id is written only if that user still exists (see
    `_existing_user`)."""
    existing = bindparam(f"{prefix}existing_user_id", type_=users.c.id.type)
    values: dict[str, Any] = {
        name: bindparam(f"{prefix}{name}", type_=sign_in_attempts.c[name].type)
        for name in NEW_ATTEMPT_COLUMNS
    }
    values["user_id"] = select(users.c.id).where(users.c.id == existing).scalar_subquery()
    return insert(sign_in_attempts).values(values)


def sign_in_attempt_params(attempt: SignInAttempt, prefix: str = "") -> dict[str, Any]:
    values = _sign_in_values(attempt)
    values.update(
        id=attempt.id, created_at=attempt.created_at, existing_user_id=values.pop("user_id")
    )
    return {f"{prefix}{name}": value for name, value in values.items()}


_INSERT_SIGN_IN_ATTEMPT = insert_sign_in_attempt()
_INSERT_SIGN_UP_ATTEMPTS = insert(sign_up_attempts)


class _TenantRows:
    """Tenant-scoped get, page and delete over one attempts table."""

    def __init__(self, conn: AsyncConnection, table: Table) -> None:
        self._conn = conn
        self._table = table

    async def _get(self, tenant_id: uuid.UUID, attempt_id: uuid.UUID) -> RowMapping | None:
        t = self._table
        query = select(t).where(t.c.tenant_id == tenant_id, t.c.id == attempt_id)
        return (await self._conn.execute(query)).mappings().first()

    async def _many(self, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]) -> list[RowMapping]:
        wanted = list(set(ids))
        if not wanted:
            return []
        t = self._table
        query = select(t).where(t.c.tenant_id == tenant_id, t.c.id.in_(wanted))
        return list((await self._conn.execute(query)).mappings())

    async def _page(
        self, tenant_id: uuid.UUID, *, offset: int, limit: int
    ) -> tuple[list[RowMapping], int]:
        t = self._table
        total_query = select(func.count()).select_from(t).where(t.c.tenant_id == tenant_id)
        total = (await self._conn.execute(total_query)).scalar_one()
        query = (
            select(t)
            .where(t.c.tenant_id == tenant_id)
            .order_by(t.c.created_at.desc(), t.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return list((await self._conn.execute(query)).mappings()), total

    async def _keyset(
        self, tenant_id: uuid.UUID, *, size: int, cursor: KeysetCursor | None
    ) -> tuple[list[RowMapping], int, bool]:
        t = self._table
        return await keyset_rows(
            self._conn, t, [t.c.tenant_id == tenant_id], size=size, cursor=cursor
        )

    async def delete(
        self, tenant_id: uuid.UUID, attempt_id: uuid.UUID, *, status: str | None = None
    ) -> bool:
        """Deletes the attempt (only while it is at `status`, when given); False when no row was
        deleted, e.g. because another request moved it on or took it first."""
        t = self._table
        query = delete(t).where(t.c.tenant_id == tenant_id, t.c.id == attempt_id)
        if status is not None:
            query = query.where(t.c.status == status)
        result = await self._conn.execute(query)
        return result.rowcount > 0


class SignInAttemptRepository(_TenantRows):
    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn, sign_in_attempts)

    async def add(self, attempt: SignInAttempt) -> None:
        await self._conn.execute(_INSERT_SIGN_IN_ATTEMPT, sign_in_attempt_params(attempt))

    async def update(self, attempt: SignInAttempt, *, from_status: SignInStatus) -> bool:
        """Writes `attempt` only if the stored one is still in `from_status` (one winner)."""
        result = await self._conn.execute(
            update(sign_in_attempts)
            .where(
                sign_in_attempts.c.id == attempt.id,
                sign_in_attempts.c.status == from_status.value,
            )
            .values({**_sign_in_values(attempt), "user_id": _existing_user(attempt.user_id)})
        )
        return result.rowcount > 0

    async def fail_waiting(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, *, since: datetime, at: datetime
    ) -> int:
        """Ends the user's attempts started since `since` that wait for a second factor (their
        password is no longer the user's): they expire."""
        t = sign_in_attempts
        result = await self._conn.execute(
            update(t)
            .where(
                t.c.tenant_id == tenant_id,
                t.c.created_at >= since,
                t.c.user_id == user_id,
                t.c.status == SignInStatus.NEEDS_FACTOR_TWO.value,
            )
            .values(
                status=SignInStatus.FAILED.value,
                failure_reason=FailureReason.EXPIRED.value,
                updated_at=at,
            )
        )
        return result.rowcount

    async def get(self, tenant_id: uuid.UUID, attempt_id: uuid.UUID) -> SignInAttempt | None:
        row = await self._get(tenant_id, attempt_id)
        return None if row is None else _sign_in(row)

    async def reserve_factor_try(
        self, attempt_id: uuid.UUID, *, limit: int, at: datetime
    ) -> int | None:
        """Counts one second-factor try before the code is checked, atomically, so concurrent
        tries cannot exceed `limit`. None when the attempt is not waiting or has no tries left."""
        t = sign_in_attempts
        result = await self._conn.execute(
            update(t)
            .where(
                t.c.id == attempt_id,
                t.c.status == SignInStatus.NEEDS_FACTOR_TWO.value,
                t.c.factor_tries < limit,
            )
            .values(factor_tries=t.c.factor_tries + 1, updated_at=at)
            .returning(t.c.factor_tries)
        )
        tries = result.scalar_one_or_none()
        return None if tries is None else int(tries)

    async def reserve_flow_try(
        self, attempt_id: uuid.UUID, *, limit: int, at: datetime
    ) -> int | None:
        """`reserve_factor_try` for an open login flow (status `needs_identifier`)."""
        t = sign_in_attempts
        result = await self._conn.execute(
            update(t)
            .where(
                t.c.id == attempt_id,
                t.c.status == SignInStatus.NEEDS_IDENTIFIER.value,
                t.c.factor_tries < limit,
            )
            .values(factor_tries=t.c.factor_tries + 1, updated_at=at)
            .returning(t.c.factor_tries)
        )
        tries = result.scalar_one_or_none()
        return None if tries is None else int(tries)

    async def delete_open(self, tenant_id: uuid.UUID, attempt_id: uuid.UUID) -> bool:
        """Deletes a login flow that is still open; False when another request consumed it."""
        return await self.delete(tenant_id, attempt_id, status=SignInStatus.NEEDS_IDENTIFIER.value)

    async def get_many(
        self, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, SignInAttempt]:
        return {row["id"]: _sign_in(row) for row in await self._many(tenant_id, ids)}

    async def list_page(
        self, tenant_id: uuid.UUID, *, offset: int, limit: int
    ) -> tuple[list[SignInAttempt], int]:
        rows, total = await self._page(tenant_id, offset=offset, limit=limit)
        return [_sign_in(row) for row in rows], total

    async def keyset_page(
        self, tenant_id: uuid.UUID, *, size: int, cursor: KeysetCursor | None
    ) -> tuple[list[SignInAttempt], int, bool]:
        """Newest first from `cursor`; the total, and whether more follow in the walk."""
        rows, total, more = await self._keyset(tenant_id, size=size, cursor=cursor)
        return [_sign_in(row) for row in rows], total, more

    async def newest_of_user(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, *, limit: int
    ) -> list[SignInAttempt]:
        """A user's latest attempts, from `ix_sign_in_attempts_user_created`."""
        t = sign_in_attempts
        query = (
            select(t)
            .where(t.c.user_id == user_id, t.c.tenant_id == tenant_id)
            .order_by(t.c.created_at.desc(), t.c.id.desc())
            .limit(limit)
        )
        return [_sign_in(row) for row in (await self._conn.execute(query)).mappings()]


class SignUpAttemptRepository(_TenantRows):
    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn, sign_up_attempts)

    async def add(self, attempt: SignUpAttempt) -> None:
        await self._conn.execute(
            _INSERT_SIGN_UP_ATTEMPTS,
            dict(id=attempt.id, created_at=attempt.created_at, **_sign_up_values(attempt)),
        )

    async def update(self, attempt: SignUpAttempt) -> None:
        await self._conn.execute(
            update(sign_up_attempts)
            .where(sign_up_attempts.c.id == attempt.id)
            .values(**_sign_up_values(attempt))
        )

    async def delete_open(self, tenant_id: uuid.UUID, attempt_id: uuid.UUID) -> bool:
        """Deletes a registration flow that is still open; False when another request took it."""
        return await self.delete(
            tenant_id, attempt_id, status=SignUpStatus.MISSING_REQUIREMENTS.value
        )

    async def get(self, tenant_id: uuid.UUID, attempt_id: uuid.UUID) -> SignUpAttempt | None:
        row = await self._get(tenant_id, attempt_id)
        return None if row is None else _sign_up(row)

    async def get_many(
        self, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, SignUpAttempt]:
        return {row["id"]: _sign_up(row) for row in await self._many(tenant_id, ids)}

    async def list_page(
        self, tenant_id: uuid.UUID, *, offset: int, limit: int
    ) -> tuple[list[SignUpAttempt], int]:
        rows, total = await self._page(tenant_id, offset=offset, limit=limit)
        return [_sign_up(row) for row in rows], total

    async def keyset_page(
        self, tenant_id: uuid.UUID, *, size: int, cursor: KeysetCursor | None
    ) -> tuple[list[SignUpAttempt], int, bool]:
        rows, total, more = await self._keyset(tenant_id, size=size, cursor=cursor)
        return [_sign_up(row) for row in rows], total, more
