from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError

from sessiond.domain.errors import Conflict


@asynccontextmanager
async def conflict_on_duplicate(message: str, *, field: str) -> AsyncIterator[None]:
    """A unique constraint broken inside the block becomes a caller-safe `Conflict`."""
    try:
        yield
    except IntegrityError as exc:
        raise Conflict(message, field=field) from exc
