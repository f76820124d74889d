from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError

from sessiond.domain.errors import StorageUnavailable


@asynccontextmanager
async def storage_errors(doing: str) -> AsyncIterator[None]:
    """Driver and network failures become `StorageUnavailable`; the message names no URL or SQL."""
    try:
        yield
    except (DBAPIError, OSError) as exc:
        cause = type(exc.orig if isinstance(exc, DBAPIError) else exc).__name__
        raise StorageUnavailable(f"the database failed while {doing} ({cause})") from exc
