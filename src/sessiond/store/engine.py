from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from sessiond.domain.errors import InvalidInput
from sessiond.store.dialect import configure_engine

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def async_url(url: str) -> URL:
    """Plain URLs (`sqlite:///path.db`, `postgresql://user@host/db`) mapped to the async drivers."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise InvalidInput("the database URL cannot be parsed", field="database_url") from exc
    backend = parsed.drivername.split("+", 1)[0]
    if backend not in _DRIVERS:
        raise InvalidInput(
            f"unsupported database {backend!r}: use sqlite:/// or postgresql://",
            field="database_url",
        )
    if backend == "sqlite" and not parsed.database:
        raise InvalidInput("a SQLite URL needs a file path: sqlite:///sessiond.db")
    return parsed.set(drivername=_DRIVERS[backend])


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        engine = create_async_engine(
            target, pool_size=pool_size, max_overflow=0, hide_parameters=True
        )
    else:
        engine = create_async_engine(
            target,
            pool_size=pool_size,
            max_overflow=pool_size,
            # No ping before each checkout (a round trip per unit of work): a connection found
            # dead fails its query, and SQLAlchemy then drops every pooled connection, so the
            # next units of work connect afresh.
            hide_parameters=True,
        )
    configure_engine(engine)
    return engine
