"""Every difference between SQLite and PostgreSQL lives in this module.

- Timestamps: PostgreSQL stores `timestamptz`; SQLite has no time zone type, so UTC is stored naive
  (SQLAlchemy's fixed-width text form, which sorts correctly) and made aware again on the way out.
- UUIDs: PostgreSQL has a native type; SQLite stores 32 hex digits. `uuid_hex()` renders either as
  the 32-hex-digit form, so text filters match the id that Rocket.Chat and pxyz render.
- JSON: JSONB on PostgreSQL, JSON text on SQLite.
- Regular expressions: PostgreSQL runs its own engine on `~`; SQLite has none, so a RE2-backed
  `regexp()` function is registered on every connection. Patterns always pass RE2 first.
- Transactions: SQLite takes the write lock at BEGIN IMMEDIATE for writing units of work, so two
  writers never both read a count and then both insert (the per-user limit); PostgreSQL locks rows.
  A read-only unit of work on PostgreSQL runs without BEGIN and ROLLBACK: at READ COMMITTED each
  statement takes its own snapshot inside a transaction too, so the transaction would buy nothing
  but two round trips. On SQLite it keeps its transaction, which there is one snapshot for all
  its reads.
- Plans: PostgreSQL may give a prepared statement run often a generic plan, made without its
  values; `planned_for_each_run` asks for a plan made for the values of each run (a text
  filter's pattern and profiles decide which index pays off). A read-only unit of work has no
  transaction for `SET LOCAL` to end with, so there the setting is made and then reset.
- Inserts that may meet a row already there (`insert_skipping_duplicates`): both backends have
  `ON CONFLICT DO NOTHING`, but SQLAlchemy writes it only through each dialect's own `insert`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import JSON, DateTime, Table, TypeDecorator, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

from sessiond.domain.errors import InvalidInput
from sessiond.infra.regex import sqlite_regexp

SQLITE_IMMEDIATE = "sessiond_sqlite_immediate"

JsonType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[dt.datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC-aware ones")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class uuid_hex(FunctionElement[str]):
    type = String()
    inherit_cache = True


@compiles(uuid_hex, "sqlite")
def _uuid_hex_sqlite(element: uuid_hex, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(uuid_hex, "postgresql")
def _uuid_hex_postgresql(element: uuid_hex, compiler: SQLCompiler, **kw: Any) -> str:
    return f"replace(CAST({compiler.process(element.clauses, **kw)} AS TEXT), '-', '')"


def insert_skipping_duplicates(table: Table, dialect_name: str) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING`: a row that breaks a unique constraint is left out.
    On PostgreSQL, one another transaction is inserting waits for it and is then left out."""
    if dialect_name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


async def lock_for_transaction(conn: AsyncConnection, key: bytes) -> None:
    """Serialises the transactions that name `key` until they end, so that one can count rows
    and add one without another counting in between. SQLite needs nothing: a writing transaction
    holds the database's one write lock already (SQLITE_IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(key).digest()[:8], "big", signed=True)
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})


def read_only_options(engine: AsyncEngine) -> dict[str, Any]:
    """Execution options for a unit of work that only reads (see the module's docstring)."""
    return {"isolation_level": "AUTOCOMMIT"} if engine.dialect.name == "postgresql" else {}


def single_write_options(engine: AsyncEngine) -> dict[str, Any]:
    """Execution options for a unit of work that writes with one statement: on PostgreSQL the
    statement is its own transaction, which spares the round trips of BEGIN and COMMIT."""
    if engine.dialect.name == "postgresql":
        return {"isolation_level": "AUTOCOMMIT"}
    return {SQLITE_IMMEDIATE: True}


@asynccontextmanager
async def planned_for_each_run(conn: AsyncConnection) -> AsyncIterator[None]:
    """Statements run inside are planned for their own values (see the module's docstring)."""
    if conn.dialect.name != "postgresql":
        yield
        return
    options = conn.sync_connection.get_execution_options() if conn.sync_connection else {}
    if options.get("isolation_level") != "AUTOCOMMIT":
        await conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        yield
        return
    await conn.exec_driver_sql("SET plan_cache_mode = force_custom_plan")
    try:
        yield
    finally:
        await conn.exec_driver_sql("RESET plan_cache_mode")


def configure_engine(engine: AsyncEngine) -> None:
    event.listen(engine.sync_engine, "before_cursor_execute", _refuse_nul)
    if engine.dialect.name != "sqlite":
        return
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event issue BEGIN itself instead of the driver's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=10000",
        ):
            cursor.execute(pragma)
        cursor.close()
        dbapi_connection.create_function("regexp", 2, sqlite_regexp, deterministic=True)

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # a BEGIN here would never be ended: autocommit makes COMMIT a no-op
        immediate = options.get(SQLITE_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _refuse_nul(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, executemany: bool
) -> None:
    """Text holding a NUL character is refused before it is sent, as the caller's bad input, on
    both backends alike: PostgreSQL cannot store or even compare one (it would fail the query as
    if the database were down), and SQLite would quietly store it."""
    for row in parameters if executemany else (parameters,):
        values = row.values() if isinstance(row, dict) else row or ()
        for value in values:
            if type(value) is str and "\x00" in value:
                raise InvalidInput("text must not contain NUL characters")


class sortable_text(FunctionElement[str]):
    """A text sort key that orders the same on both backends: NULL as '', compared byte-wise."""

    type = String()
    inherit_cache = True


@compiles(sortable_text, "sqlite")
def _sortable_text_sqlite(element: sortable_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"coalesce({compiler.process(element.clauses, **kw)}, '')"


@compiles(sortable_text, "postgresql")
def _sortable_text_postgresql(element: sortable_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(coalesce({compiler.process(element.clauses, **kw)}, '') COLLATE \"C\")"


class utc_day(FunctionElement[str]):
    """The UTC calendar day of a timestamp column, as `YYYY-MM-DD` text on both backends."""

    type = String()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff`: the day is its first ten characters.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 10)"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
