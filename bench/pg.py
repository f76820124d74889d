"""The bench's own PostgreSQL databases: made fresh for a run and dropped after it, except the
seeded one, which is kept (seeding a million sessions takes minutes) and marked complete with a
comment."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def database_url(server_url: str, name: str) -> str:
    """`server_url` (any database on the server) pointed at the database `name`."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def _quoted(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain database name: {name!r}")
    return f'"{name}"'


async def _admin(server_url: str, *statements: str, args: tuple[Any, ...] = ()) -> Any:
    conn = await asyncpg.connect(database_url(server_url, "postgres"), timeout=10)
    try:
        result = None
        for statement in statements:
            result = (
                await conn.fetchval(statement, *args) if args else await conn.execute(statement)
            )
        return result
    finally:
        await conn.close()


def recreate(server_url: str, name: str) -> str:
    asyncio.run(
        _admin(
            server_url,
            f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)",
            f"CREATE DATABASE {_quoted(name)}",
        )
    )
    return database_url(server_url, name)


def drop(server_url: str, name: str) -> None:
    asyncio.run(_admin(server_url, f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)"))


def comment(server_url: str, name: str) -> str | None:
    query = "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1"
    found: str | None = asyncio.run(_admin(server_url, query, args=(name,)))
    return found


def set_comment(server_url: str, name: str, text: str) -> None:
    literal = "'" + text.replace("'", "''") + "'"
    asyncio.run(_admin(server_url, f"COMMENT ON DATABASE {_quoted(name)} IS {literal}"))


def reachable(server_url: str) -> bool:
    try:
        asyncio.run(_admin(server_url, "SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True
