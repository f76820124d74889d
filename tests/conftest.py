"""Shared fixtures. Storage-touching tests run once per backend: SQLite always, PostgreSQL when
SESSIOND_TEST_DATABASE_URL is set (under CI=true a missing server is a failure, never a skip)."""

from __future__ import annotations

import asyncio
import os
import resource
import secrets
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from sessiond.compose import open_services
from sessiond.domain.tenant import Tenant
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.settings import Settings
from sessiond.store.engine import create_engine
from sessiond.store.migrate import upgrade
from tests.helpers.backends import PG_ENV, REDIS_ENV
from tests.helpers.clock import START
from tests.helpers.mail import Inbox, smtp_inbox
from tests.helpers.redis_server import RedisServer
from tests.helpers.tenants import unique_slug

BACKENDS = ("sqlite", "postgresql")

_results: dict[str, dict[str, int]] = {b: {} for b in BACKENDS}


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI", "").lower() == "true":
        missing = [name for name in (PG_ENV, REDIS_ENV) if not os.environ.get(name)]
        if missing:
            raise pytest.UsageError(f"CI=true but {', '.join(missing)} is not set")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    for backend in BACKENDS:
        if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid:
            counts = _results[backend]
            counts[report.outcome] = counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.section("storage backends")
    for backend, counts in _results.items():
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "not run"
        terminalreporter.write_line(f"{backend}: {summary}")
    terminalreporter.section("memory")
    terminalreporter.write_line(f"peak RSS of the pytest process: {peak_rss_mib():.0f} MiB")


def peak_rss_mib() -> float:
    """The most resident memory this process has held (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


async def _create_pg_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_pg_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run, dropped at the end."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    name = f"sessiond_test_{secrets.token_hex(4)}"
    admin = _plain(base)
    asyncio.run(_create_pg_database(admin, name))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(_drop_pg_database(admin, name))


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """An empty PostgreSQL database, not yet migrated (`sessiond serve` migrates it), dropped
    afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    admin = _plain(base)
    name = f"sessiond_serve_{secrets.token_hex(4)}"
    asyncio.run(_create_pg_database(admin, name))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_drop_pg_database(admin, name))


@pytest.fixture(params=BACKENDS)
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each backend, for tests that run `sessiond serve` on it."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sessiond.db'}"
    url: str = request.getfixturevalue("fresh_postgres")
    return url


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server of the test's own, which it may stop and start (the Redis tests run where
    SESSIOND_TEST_REDIS_URL is set, as they do under CI)."""
    if not os.environ.get(REDIS_ENV):
        pytest.skip(f"{REDIS_ENV} is not set")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A real SMTP server on loopback that keeps what it receives."""
    with smtp_inbox() as box:
        yield box


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("db") / "sessiond.db"
    url = f"sqlite:///{path}"
    asyncio.run(_migrate(url))
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        url: str = request.getfixturevalue("sqlite_url")
        return url
    pg_url: str = request.getfixturevalue("postgres_url")
    return pg_url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, password_time_cost=1, password_memory_cost=1024, db_pool_size=5
    )


@pytest.fixture
async def services(settings: Settings, clock: FrozenClock) -> AsyncIterator[Services]:
    opened = await open_services(settings, clock=clock)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def tenant(services: Services) -> Tenant:
    return (await services.tenants.create(slug=unique_slug())).tenant
