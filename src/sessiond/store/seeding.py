"""Bulk writes for synthetic data (`sessiond seed`): many rows per statement, few transactions.

Each call is its own transaction, outside any unit of work: seeding a million sessions one
`SessionRepository.add` at a time would take hours. PostgreSQL gets `COPY` through asyncpg;
SQLite an `executemany` of the rows (one prepared statement, one transaction per call).
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import fields
from typing import Any

import asyncpg
import orjson
from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.domain.device import Device, UserAgentInfo
from sessiond.domain.errors import Conflict, StorageUnavailable
from sessiond.domain.session import Session
from sessiond.domain.user import User
from sessiond.store.dialect import SQLITE_IMMEDIATE
from sessiond.store.errors import conflict_on_duplicate, storage_errors
from sessiond.store.repositories.device_profiles import (
    DeviceProfileRepository,
    Parts,
    profile_parts,
)
from sessiond.store.repositories.users import email_rows, user_values
from sessiond.store.tables import devices, sessions, user_emails, users
from sessiond.store.uow import Store

_AGENT_FIELDS = tuple(f.name for f in fields(UserAgentInfo) if f.name != "raw")
_JSON_COLUMNS = frozenset({"roles", "traits", "metadata_public", "metadata_admin", "methods"})
_UNIQUE_SQLSTATE = "23505"
_TAKEN = "a seeded username or email address is already taken"
_COPY_SETTINGS = ("synchronous_commit = off", "gin_pending_list_limit = 65536", "work_mem = 65536")
_SQLITE_CACHE_KIB = 256 * 1024
_Rows = list[tuple[Any, ...]]
_Profiles = dict[tuple[uuid.UUID, Parts], uuid.UUID]


class BulkLoader:
    def __init__(self, store: Store) -> None:
        self._engine = store.engine
        self._postgres = store.backend == "postgresql"
        self._profiles: _Profiles = {}

    async def count_users(self, tenant_id: uuid.UUID) -> int:
        async with storage_errors("counting users"), self._engine.connect() as conn:
            query = select(func.count()).select_from(users).where(users.c.tenant_id == tenant_id)
            return (await conn.execute(query)).scalar_one()

    async def add_users(self, batch: Sequence[User]) -> None:
        """New users with their email addresses; usernames and addresses must be free."""
        user_rows = [_user_row(user) for user in batch]
        emails = [row for user in batch for row in email_rows(user)]
        async with self._transaction("adding users") as conn:
            await self._write(conn, users, self._for_driver(users, user_rows))
            await self._write(conn, user_emails, self._for_driver(user_emails, emails))

    async def add_sessions(self, batch: Sequence[tuple[Session, Device]]) -> None:
        """Sessions, each with its own device. The rows are made in a worker thread, so a
        caller can prepare the next batch while the database writes this one."""
        await self._add_profiles(batch)
        device_rows, session_rows = await asyncio.to_thread(self._session_rows, batch)
        async with self._transaction("adding sessions") as conn:
            await self._write(conn, devices, device_rows)
            await self._write(conn, sessions, session_rows)

    async def _add_profiles(self, batch: Sequence[tuple[Session, Device]]) -> None:
        """The device profiles of the batch that this loader has not met yet (seeded devices
        share a few dozen), found or made in the tenant."""
        missing: dict[uuid.UUID, list[UserAgentInfo]] = {}
        for session, device in batch:
            if (session.tenant_id, _profile_parts(device.agent)) not in self._profiles:
                missing.setdefault(session.tenant_id, []).append(device.agent)
        if not missing:
            return
        async with self._transaction("adding device profiles") as conn:
            for tenant_id, agents in missing.items():
                found = await DeviceProfileRepository(conn).ids_for(tenant_id, agents)
                self._profiles.update(((tenant_id, parts), id_) for parts, id_ in found.items())

    def _session_rows(self, batch: Sequence[tuple[Session, Device]]) -> tuple[_Rows, _Rows]:
        device_rows = [_device_row(session, device) for session, device in batch]
        session_rows = [
            _session_row(session, self._profiles[session.tenant_id, _profile_parts(device.agent)])
            for session, device in batch
        ]
        return self._for_driver(devices, device_rows), self._for_driver(sessions, session_rows)

    def _for_driver(self, table: Table, rows: list[dict[str, Any]]) -> _Rows:
        """Tuples in column order, as the driver takes them: for `COPY` on PostgreSQL (JSON as
        text), and on SQLite already put through each column type's own bind processor (the
        conversion SQLAlchemy's `execute` would do, done here off the event loop)."""
        names = [column.name for column in table.c]
        if not self._postgres:
            processors = [column.type.bind_processor(self._engine.dialect) for column in table.c]
            pairs = list(zip(names, processors, strict=True))
            return [
                tuple(bind(row.get(name)) if bind else row.get(name) for name, bind in pairs)
                for row in rows
            ]
        json_at = [i for i, name in enumerate(names) if name in _JSON_COLUMNS]
        records = []
        for row in rows:
            values = [row.get(name) for name in names]
            for i in json_at:
                if values[i] is not None:
                    values[i] = orjson.dumps(values[i]).decode()
            records.append(tuple(values))
        return records

    async def refresh_statistics(self) -> None:
        """Fresh planner statistics (and, on PostgreSQL, the visibility map that index-only
        scans rely on) for the tables seeding filled."""
        async with storage_errors("analyzing"), self._engine.connect() as conn:
            if self._postgres:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.exec_driver_sql("VACUUM (ANALYZE) users, user_emails, devices, sessions")
            else:
                # Sampled statistics: a full ANALYZE reads every index of a large file.
                await conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
                await conn.exec_driver_sql("ANALYZE")
                await conn.commit()

    @asynccontextmanager
    async def _transaction(self, doing: str) -> AsyncIterator[AsyncConnection]:
        async with storage_errors(doing), _driver_errors(doing), self._engine.connect() as conn:
            conn = await conn.execution_options(**{SQLITE_IMMEDIATE: True})
            async with conn.begin():
                if self._postgres:
                    # These also start the driver's transaction, so the COPYs run inside it.
                    # A larger pending list lets the trigram indexes take rows in big merges.
                    for setting in _COPY_SETTINGS:
                        await conn.exec_driver_sql(f"SET LOCAL {setting}")
                else:
                    # Random token digests land all over their index; SQLite's default 2 MB
                    # page cache would read most of it back from disk for every batch.
                    await conn.exec_driver_sql(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
                yield conn

    async def _write(self, conn: AsyncConnection, table: Table, rows: _Rows) -> None:
        if not rows:
            return
        if not self._postgres:
            statement = str(insert(table).compile(dialect=self._engine.dialect))
            async with conflict_on_duplicate(_TAKEN, field="username"):
                await conn.exec_driver_sql(statement, rows)
            return
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        columns = [column.name for column in table.c]
        await driver.copy_records_to_table(table.name, records=rows, columns=columns)


@asynccontextmanager
async def _driver_errors(doing: str) -> AsyncIterator[None]:
    """asyncpg's own errors: `COPY` runs on the driver connection, below SQLAlchemy."""
    try:
        yield
    except asyncpg.PostgresError as exc:
        if getattr(exc, "sqlstate", None) == _UNIQUE_SQLSTATE:
            raise Conflict(_TAKEN, field="username") from exc
        raise StorageUnavailable(
            f"the database failed while {doing} ({type(exc).__name__})"
        ) from exc
    except asyncpg.InterfaceError as exc:
        raise StorageUnavailable(
            f"the database failed while {doing} ({type(exc).__name__})"
        ) from exc


def _user_row(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        **user_values(user),
        "totp_last_step": None,
        "created_at": user.created_at,
    }


def _device_row(session: Session, device: Device) -> dict[str, Any]:
    agent = device.agent
    row = {
        "id": device.id,
        "tenant_id": session.tenant_id,
        "user_agent": agent.raw,
        "ip": device.ip,
        "location": device.location,
        "created_at": device.created_at,
    }
    row.update(_agent_parts(agent))
    return row


@functools.lru_cache(maxsize=1024)
def _profile_parts(agent: UserAgentInfo) -> Parts:
    return profile_parts(agent)


@functools.lru_cache(maxsize=1024)
def _agent_parts(agent: UserAgentInfo) -> tuple[tuple[str, str | None], ...]:
    """The parsed parts of a user agent; seeded devices share a few dozen agents."""
    return tuple((name, getattr(agent, name)) for name in _AGENT_FIELDS)


def _session_row(session: Session, device_profile_id: uuid.UUID) -> dict[str, Any]:
    return {
        "id": session.id,
        "tenant_id": session.tenant_id,
        "user_id": session.user_id,
        "token_digest": session.token_digest,
        "device_id": session.device_id,
        "device_profile_id": device_profile_id,
        "authenticated_at": session.authenticated_at,
        "issued_at": session.issued_at,
        "expires_at": session.expires_at,
        "last_active_at": session.last_active_at,
        "aal": session.aal.value,
        "methods": [
            {
                "method": m.method,
                "aal": m.aal.value,
                "completed_at": m.completed_at.isoformat(),
                "provider": m.provider,
            }
            for m in session.methods
        ],
        "host": session.host,
        "sign_in_attempt_id": session.sign_in_attempt_id,
        "sign_up_attempt_id": session.sign_up_attempt_id,
        "ended_at": session.ended_at,
        "end_reason": None if session.end_reason is None else session.end_reason.value,
        "ended_by": session.ended_by,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
    }
