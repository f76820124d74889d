"""Reading the invalidation log fast, straight through the driver.

Every process reads the log every 30 ms, idle or not. Through SQLAlchemy a read costs 400-700 us
of CPU (about 15% of a core for an idle server); through the driver it costs 10-40 us. So the
reads the cache feed makes many times a second use the driver itself, with the one query they
need; writing the log (`repositories/invalidations.py`) and pruning it stay with SQLAlchemy.

A reader runs outside any transaction, so each read sees every commit made before it.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
from sqlalchemy.engine import URL

from sessiond.domain.errors import StorageUnavailable
from sessiond.domain.invalidation import Invalidation, Scope
from sessiond.store.errors import Failed

_COLUMNS = "SELECT seq, tenant_id, kind, target FROM cache_invalidations"


@dataclass(frozen=True, slots=True)
class Logged:
    seq: int
    invalidation: Invalidation


class LogReader(Protocol):
    async def latest(self) -> int: ...

    async def since(self, seq: int, *, also: Sequence[int] = (), limit: int) -> list[Logged]:
        """Rows past `seq`, and the rows `also` names, in order."""
        ...

    async def close(self) -> None: ...


async def open_log_reader(url: URL, *, failed: Failed | None = None) -> LogReader:
    """A reader of the log at `url`; `failed` hears each failure of the database."""
    heard = failed or _unheard
    try:
        if url.get_backend_name() == "sqlite":
            return _SqliteReader(url, failed=heard)
        return await _PostgresReader.connect(url, failed=heard)
    except (OSError, sqlite3.Error, asyncpg.PostgresError) as exc:
        heard()
        raise StorageUnavailable("the database failed while opening the invalidation log") from exc


def _unheard() -> None:
    """No one listens for the failures of this reader."""


def _logged(seq: int, tenant_id: Any, kind: str, target: Any) -> Logged:
    return Logged(seq, Invalidation(Scope(kind), _uuid(tenant_id), _uuid(target)))


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    """asyncpg hands UUIDs back as such; SQLite keeps them as 32 hex digits."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=value)


class _SqliteReader:
    """SQLite stores UUIDs as 32 hex digits. The file is local and the query uses the primary
    key, so a read takes microseconds and runs on the feed's thread as it is."""

    def __init__(self, url: URL, *, failed: Failed) -> None:
        self._failed = failed
        self._conn = sqlite3.connect(url.database or "", isolation_level=None)
        self._conn.execute("PRAGMA busy_timeout=1000")

    async def latest(self) -> int:
        return int(self._read("SELECT coalesce(max(seq), 0) FROM cache_invalidations", ())[0][0])

    async def since(self, seq: int, *, also: Sequence[int] = (), limit: int) -> list[Logged]:
        marks = ",".join("?" * len(also))
        where = f"seq > ? OR seq IN ({marks})" if also else "seq > ?"
        rows = self._read(f"{_COLUMNS} WHERE {where} ORDER BY seq LIMIT ?", (seq, *also, limit))
        return [_logged(*row) for row in rows]

    async def close(self) -> None:
        self._conn.close()

    def _read(self, sql: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            self._failed()
            raise StorageUnavailable("the database failed while reading the log") from exc


class _PostgresReader:
    def __init__(self, conn: asyncpg.Connection, *, failed: Failed) -> None:
        self._conn = conn
        self._failed = failed

    @classmethod
    async def connect(cls, url: URL, *, failed: Failed) -> _PostgresReader:
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return cls(await asyncpg.connect(plain, timeout=10), failed=failed)

    async def latest(self) -> int:
        rows = await self._read("SELECT coalesce(max(seq), 0) FROM cache_invalidations")
        return int(rows[0][0])

    async def since(self, seq: int, *, also: Sequence[int] = (), limit: int) -> list[Logged]:
        sql = f"{_COLUMNS} WHERE seq > $1 OR seq = ANY($2::bigint[]) ORDER BY seq LIMIT $3"
        rows = await self._read(sql, seq, list(also), limit)
        return [_logged(*row) for row in rows]

    async def close(self) -> None:
        await self._conn.close()

    async def _read(self, sql: str, *arguments: Any) -> list[Any]:
        try:
            return list(await self._conn.fetch(sql, *arguments))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            self._failed()
            raise StorageUnavailable("the database failed while reading the log") from exc
