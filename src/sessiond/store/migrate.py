"""Schema upgrades and first-start bootstrap (the `default` tenant, the shared page-token key)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from sessiond.domain.errors import StorageUnavailable
from sessiond.store.errors import storage_errors

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 0x5E55_10D0


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Nodes starting together take turns; the second finds the schema already at head.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    command.upgrade(alembic_config(connection), "head")


async def upgrade(engine: AsyncEngine) -> None:
    async with storage_errors("migrating"), engine.begin() as conn:
        await conn.run_sync(_upgrade)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def require_current_schema(engine: AsyncEngine) -> None:
    """Refuses to serve from a database whose schema is not the one this code was written for."""
    async with storage_errors("reading the schema version"):
        current = await current_revision(engine)
    head = await asyncio.to_thread(head_revision)
    if current != head:
        raise StorageUnavailable(
            f"the database schema is at revision {current or 'none'}, this sessiond needs "
            f"{head}: run `sessiond migrate`"
        )
