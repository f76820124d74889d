from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.domain.ids import new_id
from sessiond.domain.invalidation import Scope
from sessiond.domain.listing import KeysetCursor
from sessiond.domain.user import Email, Totp, User, UserState, normalise_identifier
from sessiond.store.errors import conflict_on_duplicate
from sessiond.store.repositories.invalidations import UNLOGGED, InvalidationLog, Unlogged
from sessiond.store.repositories.keyset import keyset_rows
from sessiond.store.tables import backup_codes, user_emails, users

USER_COLUMNS = tuple(users.c)


def user_from_row(row: Mapping[Any, Any], emails: Sequence[Email]) -> User:
    totp = None
    if row["totp_secret"] is not None:
        totp = Totp(
            secret=row["totp_secret"], enabled=row["totp_enabled"], last_step=row["totp_last_step"]
        )
    return User(
        id=row["id"],
        tenant_id=row["tenant_id"],
        username=row["username"],
        name=row["name"],
        emails=tuple(emails),
        state=UserState(row["state"]),
        roles=tuple(row["roles"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        password_hash=row["password_hash"],
        traits=dict(row["traits"]),
        metadata_public=row["metadata_public"],
        metadata_admin=row["metadata_admin"],
        totp=totp,
    )


def email_rows(user: User) -> list[dict[str, Any]]:
    """The `user_emails` rows of a user's addresses, in their order."""
    return [
        {
            "id": new_id(),
            "tenant_id": user.tenant_id,
            "user_id": user.id,
            "address": email.address,
            "address_lower": normalise_identifier(email.address),
            "verified": email.verified,
            "position": position,
        }
        for position, email in enumerate(user.emails)
    ]


def user_values(user: User) -> dict[str, Any]:
    """The `users` columns a user's fields set (all but `id`, `created_at`, `totp_last_step`)."""
    return {
        "tenant_id": user.tenant_id,
        "username": user.username,
        "username_lower": None if user.username is None else normalise_identifier(user.username),
        "name": user.name,
        "state": user.state.value,
        "roles": list(user.roles),
        "traits": user.traits,
        "metadata_public": user.metadata_public,
        "metadata_admin": user.metadata_admin,
        "password_hash": user.password_hash,
        "totp_secret": None if user.totp is None else user.totp.secret,
        "totp_enabled": user.totp is not None and user.totp.enabled,
        "updated_at": user.updated_at,
    }


# The lookups a sign-in makes, built once (see `_one`): one user and its addresses.
_owned_address = user_emails.alias("owned_address")
_WITH_EMAILS = select(
    users,
    user_emails.c.address.label("email_address"),
    user_emails.c.verified.label("email_verified"),
).select_from(users.outerjoin(user_emails, user_emails.c.user_id == users.c.id))
_IN_TENANT = users.c.tenant_id == bindparam("tenant_id")
_EMAIL_ORDER = user_emails.c.position
_BY_ID = _WITH_EMAILS.where(_IN_TENANT, users.c.id == bindparam("user_id")).order_by(_EMAIL_ORDER)
_BY_ID_FOR_UPDATE = _BY_ID.with_for_update(of=users)
_BY_USERNAME = _WITH_EMAILS.where(
    _IN_TENANT, users.c.username_lower == bindparam("username")
).order_by(_EMAIL_ORDER)
_BY_EMAIL = _WITH_EMAILS.where(
    _IN_TENANT,
    users.c.id
    == select(_owned_address.c.user_id)
    .where(
        _owned_address.c.tenant_id == bindparam("tenant_id"),
        _owned_address.c.address_lower == bindparam("address"),
    )
    .scalar_subquery(),
).order_by(_EMAIL_ORDER)


class UserRepository:
    def __init__(
        self, conn: AsyncConnection, *, log: InvalidationLog | Unlogged = UNLOGGED
    ) -> None:
        self._conn = conn
        self._log = log

    async def add(self, user: User) -> None:
        async with conflict_on_duplicate("that username is already taken", field="username"):
            await self._conn.execute(
                insert(users).values(
                    id=user.id,
                    created_at=user.created_at,
                    totp_last_step=None if user.totp is None else user.totp.last_step,
                    **user_values(user),
                )
            )
        await self._write_emails(user)

    async def update(self, user: User) -> None:
        """Writes every field but `totp_last_step` (only `set_totp_last_step` moves that).

        Read the user with `get_for_update` in the same unit of work, or a concurrent change
        (a suspension, a password change) is overwritten with the stale copy.
        """
        async with conflict_on_duplicate("that username is already taken", field="username"):
            await self._conn.execute(
                update(users)
                .where(users.c.id == user.id, users.c.tenant_id == user.tenant_id)
                .values(**user_values(user))
            )
        await self._conn.execute(delete(user_emails).where(user_emails.c.user_id == user.id))
        await self._write_emails(user)
        await self._log.record(Scope.USER, user.tenant_id, [user.id])

    async def delete(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        result = await self._conn.execute(
            delete(users).where(users.c.id == user_id, users.c.tenant_id == tenant_id)
        )
        if result.rowcount == 0:
            return False
        await self._log.record(Scope.USER, tenant_id, [user_id])
        return True

    async def get(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
        return await self._one(_BY_ID, tenant_id=tenant_id, user_id=user_id)

    async def get_for_update(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
        """Locks the user row until the unit of work ends (SQLite holds the write lock anyway)."""
        return await self._one(_BY_ID_FOR_UPDATE, tenant_id=tenant_id, user_id=user_id)

    async def get_by_username(self, tenant_id: uuid.UUID, username: str) -> User | None:
        return await self._one(
            _BY_USERNAME, tenant_id=tenant_id, username=normalise_identifier(username)
        )

    async def get_by_email(self, tenant_id: uuid.UUID, address: str) -> User | None:
        return await self._one(
            _BY_EMAIL, tenant_id=tenant_id, address=normalise_identifier(address)
        )

    async def get_many(
        self, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, User]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        found = await self._select(users.c.tenant_id == tenant_id, users.c.id.in_(wanted))
        return {user.id: user for user in found}

    async def list_page(
        self, tenant_id: uuid.UUID, *, offset: int, limit: int
    ) -> tuple[list[User], int]:
        total_query = select(func.count()).select_from(users).where(users.c.tenant_id == tenant_id)
        total = (await self._conn.execute(total_query)).scalar_one()
        found = await self._select(
            users.c.tenant_id == tenant_id,
            order=(users.c.created_at.desc(), users.c.id.desc()),
            offset=offset,
            limit=limit,
        )
        return found, total

    async def keyset_page(
        self, tenant_id: uuid.UUID, *, size: int, cursor: KeysetCursor | None
    ) -> tuple[list[User], int, bool]:
        """Newest first from `cursor`; the total, and whether more follow in the walk."""
        rows, total, more = await keyset_rows(
            self._conn, users, [users.c.tenant_id == tenant_id], size=size, cursor=cursor
        )
        return await self.hydrate(rows), total, more

    async def hydrate(self, rows: Sequence[Mapping[Any, Any]]) -> list[User]:
        """Users from rows carrying every column of `users`; their emails load in one query."""
        emails = await self._emails_for([row["id"] for row in rows])
        return [user_from_row(row, emails.get(row["id"], ())) for row in rows]

    async def set_password_hash(
        self, user_id: uuid.UUID, *, new_hash: str, replacing: str, at: datetime
    ) -> bool:
        """Swaps the hash only if it is still `replacing` (a rehash never undoes a change)."""
        result = await self._conn.execute(
            update(users)
            .where(users.c.id == user_id, users.c.password_hash == replacing)
            .values(password_hash=new_hash, updated_at=at)
            .returning(users.c.tenant_id)
        )
        tenant_id = result.scalar_one_or_none()
        if tenant_id is None:
            return False
        await self._log.record(Scope.USER, tenant_id, [user_id])
        return True

    async def set_totp_last_step(self, user_id: uuid.UUID, *, step: int) -> bool:
        """Records the TOTP step just used; False when it (or a later one) was used already."""
        result = await self._conn.execute(
            update(users)
            .where(
                users.c.id == user_id,
                (users.c.totp_last_step.is_(None)) | (users.c.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
        return result.rowcount > 0

    async def replace_backup_codes(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, digests: Iterable[str]
    ) -> None:
        await self._conn.execute(delete(backup_codes).where(backup_codes.c.user_id == user_id))
        rows = [
            {"id": new_id(), "tenant_id": tenant_id, "user_id": user_id, "digest": d}
            for d in digests
        ]
        if rows:
            await self._conn.execute(insert(backup_codes), rows)

    async def use_backup_code(self, user_id: uuid.UUID, digest: str, *, at: datetime) -> bool:
        result = await self._conn.execute(
            update(backup_codes)
            .where(
                backup_codes.c.user_id == user_id,
                backup_codes.c.digest == digest,
                backup_codes.c.used_at.is_(None),
            )
            .values(used_at=at)
        )
        return result.rowcount > 0

    async def _one(self, query: Select[Any], **parameters: Any) -> User | None:
        """The user a prebuilt query finds, with its addresses, in one round trip: the query
        joins `user_emails`, so the user's row repeats once per address, in their order."""
        rows = list((await self._conn.execute(query, parameters)).mappings())
        if not rows:
            return None
        emails = [
            Email(r["email_address"], r["email_verified"]) for r in rows if r["email_address"]
        ]
        return user_from_row(rows[0], emails)

    async def _select(
        self,
        *conditions: Any,
        order: tuple[Any, ...] = (),
        offset: int = 0,
        limit: int | None = None,
        for_update: bool = False,
    ) -> list[User]:
        query = select(users).where(*conditions).order_by(*order).offset(offset).limit(limit)
        if for_update:
            query = query.with_for_update()
        rows = list((await self._conn.execute(query)).mappings())
        return await self.hydrate(rows)

    async def _emails_for(self, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Email]]:
        if not user_ids:
            return {}
        query = (
            select(user_emails)
            .where(user_emails.c.user_id.in_(user_ids))
            .order_by(user_emails.c.user_id, user_emails.c.position)
        )
        found: dict[uuid.UUID, list[Email]] = {}
        for row in (await self._conn.execute(query)).mappings():
            found.setdefault(row["user_id"], []).append(Email(row["address"], row["verified"]))
        return found

    async def _write_emails(self, user: User) -> None:
        rows = email_rows(user)
        if rows:
            async with conflict_on_duplicate("that email address is already taken", field="email"):
                await self._conn.execute(insert(user_emails), rows)
