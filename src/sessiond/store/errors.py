"""Where driver, pool and network failures become domain errors: once, at the store's edge.

Messages name no URL, SQL or parameter (engines also run with `hide_parameters`), so a chained
exception that reaches a log carries no secret.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from sessiond.domain.errors import Conflict, InvalidFilter, InvalidInput, StorageUnavailable

# Hears each failure of the database itself (not a value it refused), for `/metrics`.
Failed = Callable[[], None]
_UNIQUE_SQLSTATE = "23505"
_DATA_EXCEPTION = "22"
_UNIQUE_SQLITE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


def is_unique_violation(exc: IntegrityError) -> bool:
    orig = exc.orig
    return (
        getattr(orig, "sqlstate", None) == _UNIQUE_SQLSTATE
        or getattr(orig, "sqlite_errorname", None) in _UNIQUE_SQLITE
    )


def is_regex_error(exc: DBAPIError) -> bool:
    """PostgreSQL refusing a pattern at run time (sqlstate 2201B, invalid regular expression)."""
    return (
        getattr(exc.orig, "sqlstate", None) == "2201B"
        or "regular expression" in str(exc.orig).lower()
    )


def storage_failure(
    exc: BaseException, doing: str, *, failed: Failed | None = None
) -> InvalidInput | StorageUnavailable:
    """`StorageUnavailable` for a failure of the database, the pool or the network, told to
    `failed`; but a value the database refused to hold (SQLSTATE class 22, data exception: a
    character or number it cannot store) is the caller's bad input, never an outage."""
    cause = type(exc.orig if isinstance(exc, DBAPIError) else exc).__name__
    sqlstate = getattr(exc.orig, "sqlstate", None) if isinstance(exc, DBAPIError) else None
    if isinstance(sqlstate, str) and sqlstate.startswith(_DATA_EXCEPTION):
        return InvalidInput(f"the database cannot store a value given ({cause})")
    if failed is not None:
        failed()
    return StorageUnavailable(f"the database failed while {doing} ({cause})")


@asynccontextmanager
async def storage_errors(doing: str, *, failed: Failed | None = None) -> AsyncIterator[None]:
    """Driver, pool and network failures inside the block become `StorageUnavailable`."""
    try:
        yield
    except (SQLAlchemyError, OSError) as exc:
        raise storage_failure(exc, doing, failed=failed) from exc


@asynccontextmanager
async def conflict_on_duplicate(message: str, *, field: str) -> AsyncIterator[None]:
    """A unique constraint broken inside the block becomes a caller-safe `Conflict`."""
    try:
        yield
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise Conflict(message, field=field) from exc


@asynccontextmanager
async def database_regex_errors() -> AsyncIterator[None]:
    """PostgreSQL runs filters on its own engine; one it refuses is the caller's bad input."""
    try:
        yield
    except DBAPIError as exc:
        if not is_regex_error(exc):
            raise
        raise InvalidFilter(
            "invalid filter: the database's regular expression engine refused it"
        ) from exc
