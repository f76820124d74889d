"""What sessiond counts for operators, and the Prometheus text a scrape of `/metrics` reads.

One `Metrics` per process, built by the composition root and handed down: services and adapters
call its methods and never see prometheus-client. Under `sessiond serve --workers N` each worker
writes its counts to files of its own in `PROMETHEUS_MULTIPROC_DIR` (prometheus-client's
multiprocess mode, which the library picks when it is first imported, if the variable is set), and
a scrape, whichever worker answers it, adds up every worker's files. What is read at scrape time
(live sessions per tenant) is read by the answering worker alone, so it is never summed.

Labels carry only fixed words (a door's name, an outcome, a backend) and tenant slugs: never a
token, a password, an identifier or an address.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from sessiond.domain.errors import InvalidInput, NotLiveReason
from sessiond.domain.sign_in_outcomes import SignInOutcome

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus reads
TOKEN_LIVE = "live"
TOKEN_CHECK_FAILED = "error"  # the check itself failed (the database), no answer either way
# A cached check takes a few microseconds, one that reads the database a millisecond or more.
TOKEN_CHECK_BUCKETS = (
    0.000025,
    0.00005,
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)
# Sign-ins refused by a limit on guessing, by the limit that refused them.
_THROTTLES = {SignInOutcome.THROTTLED: "password", SignInOutcome.TOO_MANY_CODES: "second_factor"}


class Backend(StrEnum):
    DATABASE = "database"
    REDIS = "redis"


class Metrics:
    def __init__(self, *, multiprocess_dir: str | None = None) -> None:
        """`multiprocess_dir`: the `PROMETHEUS_MULTIPROC_DIR` this process's workers share, whose
        files a scrape adds up; None keeps the counts in this process alone."""
        self._dir = multiprocess_dir
        # In multiprocess mode the counts live in the files, and a registry would report this
        # process's share beside the sum.
        self._registry = CollectorRegistry() if multiprocess_dir is None else None
        self._sign_ins = Counter(
            "sessiond_sign_ins",
            "Sign-in steps the front doors asked for, by door and outcome.",
            ("door", "outcome"),
            registry=self._registry,
        )
        self._throttled = Counter(
            "sessiond_throttled_attempts",
            "Sign-in steps refused by a limit on guessing: too many wrong passwords lately "
            "(password) or too many wrong second-factor codes (second_factor).",
            ("door", "limit"),
            registry=self._registry,
        )
        token_checks = Counter(
            "sessiond_token_checks",
            "Session token checks, by outcome: live, why the session is not live, or error.",
            ("outcome",),
            registry=self._registry,
        )
        self._token_seconds = Histogram(
            "sessiond_token_check_duration_seconds",
            "How long session token checks took, cache hits and database reads alike.",
            buckets=TOKEN_CHECK_BUCKETS,
            registry=self._registry,
        )
        storage_errors = Counter(
            "sessiond_storage_errors",
            "Operations on the database or Redis that failed (an outage, a timeout, a refusal).",
            ("backend",),
            registry=self._registry,
        )
        # The label children are looked up once: a token check pays for an increment alone.
        outcomes = (TOKEN_LIVE, *NotLiveReason, TOKEN_CHECK_FAILED)
        self._token_checks = {outcome: token_checks.labels(outcome) for outcome in outcomes}
        self._database_errors = storage_errors.labels(Backend.DATABASE)
        self._redis_errors = storage_errors.labels(Backend.REDIS)

    @property
    def multiprocess(self) -> bool:
        return self._dir is not None

    def signed_in(self, door: str, outcome: SignInOutcome) -> None:
        self._sign_ins.labels(door, outcome).inc()
        limit = _THROTTLES.get(outcome)
        if limit is not None:
            self._throttled.labels(door, limit).inc()

    def token_checked(self, outcome: str, seconds: float) -> None:
        """`outcome`: `TOKEN_LIVE`, a `NotLiveReason` or `TOKEN_CHECK_FAILED`."""
        self._token_checks[outcome].inc()
        self._token_seconds.observe(seconds)

    def database_failed(self) -> None:
        self._database_errors.inc()

    def redis_failed(self) -> None:
        self._redis_errors.inc()

    def exposition(self, *, live_sessions: Mapping[str, int] | None) -> bytes:
        """The text of a scrape. `live_sessions` (by tenant slug) was read for this scrape; None
        when it could not be (the counters still answer while the database is down). Reads
        files in multiprocess mode: call it off the event loop."""
        scrape = CollectorRegistry()
        if self._registry is None:
            MultiProcessCollector(scrape, path=self._dir)  # type: ignore[no-untyped-call]
        else:
            scrape.register(self._registry)
        if live_sessions is not None:
            scrape.register(_LiveSessions(live_sessions))
        return generate_latest(scrape)

    def close(self) -> None:
        """This process counts no more. Its counts stay in the shared files (a counter never goes
        back); only gauges that must follow live processes would go, and there are none yet."""
        if self._dir is not None:
            mark_process_dead(os.getpid(), self._dir)  # type: ignore[no-untyped-call]


class _LiveSessions:
    def __init__(self, by_tenant: Mapping[str, int]) -> None:
        self._by_tenant = by_tenant

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "sessiond_live_sessions",
            "Sessions neither ended nor expired, per tenant, as the scrape found them (those "
            "past their tenant's inactivity timeout included).",
            labels=("tenant",),
        )
        for slug, count in sorted(self._by_tenant.items()):
            family.add_metric((slug,), count)
        yield family


def multiprocess_dir(env: Mapping[str, str]) -> str | None:
    """The directory that puts this process in multiprocess mode, if `env` names one."""
    return env.get(MULTIPROCESS_ENV) or None


@contextmanager
def shared_metrics_dir(env: MutableMapping[str, str]) -> Iterator[str]:
    """The directory the workers of one `serve` count in: the operator's
    `PROMETHEUS_MULTIPROC_DIR`, else a temporary one, set in `env` for the workers to inherit
    and removed when the block ends."""
    given = multiprocess_dir(env)
    if given is not None:
        if not os.path.isdir(given):
            raise InvalidInput(f"{MULTIPROCESS_ENV} is not a directory: {given}")
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="sessiond-metrics-") as made:
        env[MULTIPROCESS_ENV] = made
        try:
            yield made
        finally:
            env.pop(MULTIPROCESS_ENV, None)
