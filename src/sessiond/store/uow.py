"""The unit of work: the one transaction boundary. Repositories never commit; services do."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from types import TracebackType

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from sessiond.domain.invalidation import Invalidation
from sessiond.store.dialect import SQLITE_IMMEDIATE, read_only_options, single_write_options
from sessiond.store.errors import Failed, storage_errors, storage_failure
from sessiond.store.log_readers import LogReader, open_log_reader
from sessiond.store.repositories.attempts import SignInAttemptRepository, SignUpAttemptRepository
from sessiond.store.repositories.audit import AuditRepository
from sessiond.store.repositories.device_profiles import DeviceProfileRepository
from sessiond.store.repositories.events import EventRepository
from sessiond.store.repositories.guesses import GuessHitRepository
from sessiond.store.repositories.invalidations import InvalidationLog
from sessiond.store.repositories.keys import ApiKeyRepository
from sessiond.store.repositories.listing import SessionLister
from sessiond.store.repositories.owners import OwnerRepository
from sessiond.store.repositories.providers import OAuthProviderRepository
from sessiond.store.repositories.secrets import ServerSecretRepository
from sessiond.store.repositories.session_counts import SessionCounts
from sessiond.store.repositories.sessions import SessionRepository
from sessiond.store.repositories.tenants import TenantRepository
from sessiond.store.repositories.two_factor import TwoFactorRepository
from sessiond.store.repositories.users import UserRepository
from sessiond.store.repositories.webhooks import WebhookRepository

Committed = Callable[[Sequence[Invalidation]], Awaitable[None]]


class UnitOfWork:
    invalidations: InvalidationLog
    tenants: TenantRepository
    keys: ApiKeyRepository
    users: UserRepository
    sessions: SessionRepository
    listing: SessionLister
    session_counts: SessionCounts
    device_profiles: DeviceProfileRepository
    sign_ins: SignInAttemptRepository
    sign_ups: SignUpAttemptRepository
    providers: OAuthProviderRepository
    secrets: ServerSecretRepository
    two_factor: TwoFactorRepository
    owners: OwnerRepository
    guesses: GuessHitRepository
    audit: AuditRepository
    events: EventRepository
    webhooks: WebhookRepository

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        write: bool,
        committed: Committed | None,
        failed: Failed | None = None,
        single_write: bool = False,
    ) -> None:
        self._engine = engine
        self._write = write
        self._single_write = single_write
        self._committed = committed
        self._failed = failed
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None

    async def __aenter__(self) -> UnitOfWork:
        try:
            conn = await self._engine.connect()
            self._conn = conn
            if self._single_write:
                conn = await conn.execution_options(**single_write_options(self._engine))
            elif self._write:
                conn = await conn.execution_options(**{SQLITE_IMMEDIATE: True})
            else:
                conn = await conn.execution_options(**read_only_options(self._engine))
            self._tx = await conn.begin()
        except (SQLAlchemyError, OSError) as exc:
            await self._close()
            raise storage_failure(exc, "opening a transaction", failed=self._failed) from exc
        self.invalidations = InvalidationLog(conn)
        self.tenants = TenantRepository(conn, log=self.invalidations)
        self.keys = ApiKeyRepository(conn)
        self.users = UserRepository(conn, log=self.invalidations)
        self.events = EventRepository(conn)
        self.sessions = SessionRepository(conn, log=self.invalidations, events=self.events)
        self.listing = SessionLister(conn)
        self.session_counts = SessionCounts(conn)
        self.device_profiles = DeviceProfileRepository(conn)
        self.sign_ins = SignInAttemptRepository(conn)
        self.sign_ups = SignUpAttemptRepository(conn)
        self.providers = OAuthProviderRepository(conn)
        self.secrets = ServerSecretRepository(conn)
        self.two_factor = TwoFactorRepository(conn)
        self.owners = OwnerRepository(conn)
        self.guesses = GuessHitRepository(conn)
        self.audit = AuditRepository(conn)
        self.webhooks = WebhookRepository(conn)
        return self

    async def commit(self) -> None:
        if self._tx is None:
            raise RuntimeError("commit outside a unit of work")
        try:
            async with storage_errors("committing", failed=self._failed):
                await self._tx.commit()
        finally:
            self._tx = None
        pending, self.invalidations.pending = self.invalidations.pending, []
        if pending and self._committed is not None:
            await self._committed(pending)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                await self._tx.rollback()
        finally:
            await self._close()
        if isinstance(exc, SQLAlchemyError | OSError):
            raise storage_failure(exc, "running a query", failed=self._failed) from exc

    async def _close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
        self._tx = None


class Store:
    """Owns the engine; hands out units of work.

    `on_commit` (set once by the composition root) hears, after each commit, the invalidations
    that commit wrote to the log, so this process and its peers can act on them at once.
    `on_failure` hears each failure of the database (for `/metrics`).
    """

    def __init__(self, engine: AsyncEngine, *, on_failure: Failed | None = None) -> None:
        self.engine = engine
        self.on_commit: Committed | None = None
        self.on_failure = on_failure

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def unit_of_work(self, *, write: bool = True) -> UnitOfWork:
        return UnitOfWork(
            self.engine, write=write, committed=self.on_commit, failed=self.on_failure
        )

    def single_write(self) -> UnitOfWork:
        """A unit of work for ONE writing statement, which is atomic by itself: on PostgreSQL it
        commits on its own, without the round trips of BEGIN and COMMIT. A change of more than
        one statement needs `unit_of_work()`."""
        return UnitOfWork(
            self.engine,
            write=True,
            committed=self.on_commit,
            failed=self.on_failure,
            single_write=True,
        )

    @asynccontextmanager
    async def log_reader(self) -> AsyncIterator[LogReader]:
        """The invalidation log on a driver connection of its own (`log_readers.py`)."""
        reader = await open_log_reader(self.engine.url, failed=self.on_failure)
        try:
            yield reader
        finally:
            await reader.close()

    async def ping(self) -> None:
        """Raises `StorageUnavailable` unless the database answers a trivial query."""
        ping = storage_errors("answering a ping", failed=self.on_failure)
        async with ping, self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()
