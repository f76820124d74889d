"""The composition root: Settings in, a store, its migrations and the services out."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from sessiond.domain.tenant import Tenant
from sessiond.domain.webhooks import RetryPolicy
from sessiond.infra.clock import Clock, SystemClock
from sessiond.infra.mail import SmtpMailer
from sessiond.infra.metrics import Metrics
from sessiond.infra.pagetoken import PageTokenCodec
from sessiond.infra.passwords import PasswordHasher
from sessiond.infra.redis_bus import RedisBus
from sessiond.infra.redis_guesses import RedisGuessCounters
from sessiond.infra.token_cache import TokenCache
from sessiond.infra.useragent import UserAgentParser
from sessiond.services.container import Services
from sessiond.services.context import Deps
from sessiond.services.delivery import DeliveryPolicy
from sessiond.services.sessions import Authenticated
from sessiond.services.token_checks import CacheFeed, feed_kind
from sessiond.settings import Settings
from sessiond.store.engine import create_engine
from sessiond.store.migrate import require_current_schema, upgrade
from sessiond.store.uow import Store

PAGE_TOKEN_SECRET = "page_tokens"
# Seconds between reads of the invalidation log: without Redis the cache is believed only while a
# read is under 90 ms old; with Redis the reads are a safety net for a publish that was lost.
POLL_EVERY = 0.03
POLL_EVERY_WITH_REDIS = 1.0
# Tenants kept per process (by id, slug and public key), under the same rules as token checks.
TENANT_CACHE_SIZE = 10_000


async def migrate(settings: Settings) -> None:
    """Upgrades the schema and gives an empty database the `default` tenant."""
    services = await open_services(settings, migrate_first=True)
    try:
        await services.tenants.ensure_default()
    finally:
        await services.close()


async def open_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    migrate_first: bool = False,
    metrics: Metrics | None = None,
) -> Services:
    """`clock` tells the domain what time it is; `monotonic` times the cache's own freshness.
    `metrics` counts for `/metrics`; without, this process counts alone."""
    metrics = metrics or Metrics()
    database_failed, redis_failed = metrics.database_failed, metrics.redis_failed
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    store = Store(engine, on_failure=database_failed)
    try:
        if migrate_first:
            await upgrade(engine)
        else:
            await require_current_schema(engine)
        clock = clock or SystemClock()
        async with store.unit_of_work() as uow:
            secret = await uow.secrets.get_or_create(PAGE_TOKEN_SECRET, at=clock.now())
            await uow.commit()
    except BaseException:
        await store.close()
        raise
    bus = RedisBus(settings.redis_url, failed=redis_failed) if settings.redis_url else None
    cache: TokenCache[Authenticated] = TokenCache(
        capacity=settings.token_cache_size, feed=feed_kind(bus), monotonic=monotonic
    )
    tenant_cache: TokenCache[Tenant] = TokenCache(
        capacity=min(settings.token_cache_size, TENANT_CACHE_SIZE),
        feed=feed_kind(bus),
        monotonic=monotonic,
    )
    feed = CacheFeed(
        store=store,
        caches=(cache, tenant_cache),
        bus=bus,
        poll_every=POLL_EVERY if bus is None else POLL_EVERY_WITH_REDIS,
        open_store=lambda: Store(
            create_engine(settings.database_url, pool_size=1), on_failure=database_failed
        ),
        monotonic=monotonic,
    )
    store.on_commit = feed.committed
    deps = Deps(
        store=store,
        clock=clock,
        passwords=PasswordHasher(
            time_cost=settings.password_time_cost, memory_cost=settings.password_memory_cost
        ),
        agents=UserAgentParser(),
        page_tokens=PageTokenCodec(secret=secret, purpose="sessions"),
        token_cache=cache,
        tenant_cache=tenant_cache,
        metrics=metrics,
    )
    mailer = SmtpMailer.from_url(settings.smtp_url) if settings.smtp_url else None
    guess_counters = (
        RedisGuessCounters.from_url(settings.redis_url, failed=redis_failed)
        if settings.redis_url
        else None
    )
    return Services.build(
        deps,
        feed=feed,
        mailer=mailer,
        guess_counters=guess_counters,
        monotonic=monotonic,
        delivery=delivery_policy(settings),
    )


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    retry = RetryPolicy(
        first_delay=timedelta(seconds=settings.webhook_first_retry),
        give_up_after=timedelta(seconds=settings.webhook_retry_for),
    )
    return DeliveryPolicy(
        retry=retry,
        timeout=settings.webhook_timeout,
        # Never shorter than a try may take, or a slow receiver would get it twice at once.
        lease=timedelta(seconds=max(settings.webhook_lease, settings.webhook_timeout * 2)),
        concurrency=settings.webhook_concurrency,
        poll_every=settings.webhook_poll,
    )
