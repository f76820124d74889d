"""Synthetic data for one tenant (`sessiond seed`): users, and sessions on realistic devices.

Sign-ins are spread evenly over a window of days ending now, each on its own device drawn from
real user agents (parsed once per distinct agent), from varied IPs and places; a fraction have
ended, for the reasons sessions end. Choices follow `random_seed`; ids and token digests are
always fresh (the tokens themselves are thrown away, as sessiond never stores one). Every user
gets the same password hash, made once, so seeding is not bound by argon2.
"""

from __future__ import annotations

import asyncio
import bisect
import ipaddress
import itertools
import os
import random
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sessiond.domain.device import Device, UserAgentInfo
from sessiond.domain.errors import InvalidInput, TenantNotFound
from sessiond.domain.session import AAL, AuthMethod, EndReason, Session
from sessiond.domain.tenant import SessionSettings, Tenant
from sessiond.domain.tokens import new_token
from sessiond.domain.user import Email, User, UserState
from sessiond.services import seed_data
from sessiond.services.context import Deps
from sessiond.services.tenants import TenantService
from sessiond.store.seeding import BulkLoader

BATCH = 10_000
# A tenant that seeding creates keeps sessions for longer than the default day, so sign-ins
# spread over weeks are mostly still live.
CREATED_TENANT_SETTINGS = SessionSettings(max_lifetime=timedelta(days=30))
_USERS_BEFORE_WINDOW = timedelta(days=30)
_END_REASONS = (
    (EndReason.SIGNED_OUT, 5),
    (EndReason.REVOKED, 2),
    (EndReason.REVOKED_OTHERS, 1),
    (EndReason.ADMIN_REVOKED, 1),
    (EndReason.EVICTED, 1),
    (EndReason.PASSWORD_CHANGED, 1),
)
_ENDED_BY = {EndReason.ADMIN_REVOKED: "admin", EndReason.EVICTED: "session-limit"}
_PUBLIC_FIRST_OCTETS = (31, 46, 62, 77, 81, 84, 91, 102, 109, 151, 176, 185, 188, 195, 213)
_IPV6_SHARE = 0.15
_HOME_SHARE = 0.8
_VERIFIED_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class SeedPlan:
    users: int
    sessions: int
    ended_fraction: float = 0.1
    random_seed: int = 1
    days: int = 28
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.users < 0 or self.sessions < 0:
            raise InvalidInput("the numbers of users and sessions must not be negative")
        if self.sessions and not self.users:
            raise InvalidInput("sessions need users: give --users 1 or more", field="users")
        if not 0 <= self.ended_fraction <= 1:
            raise InvalidInput("the ended fraction must be between 0 and 1", field="ended")
        if self.days < 1:
            raise InvalidInput("sign-ins must spread over at least one day", field="days")


@dataclass(frozen=True, slots=True)
class SeedResult:
    tenant: Tenant
    secret_key: str | None = field(repr=False)  # only when seeding created the tenant
    users: int
    sessions: int
    ended: int
    expired: int
    seconds: float


class Seeder:
    def __init__(self, *, deps: Deps, tenants: TenantService) -> None:
        self._deps = deps
        self._tenants = tenants

    async def seed(
        self, slug: str, plan: SeedPlan, *, progress: Callable[[int], None] | None = None
    ) -> SeedResult:
        """Fills the tenant `slug` (created when missing); `progress` hears of each batch of
        users and sessions written."""
        started = time.perf_counter()
        report = progress or (lambda _count: None)
        tenant, secret_key = await self._tenant(slug)
        loader = BulkLoader(self._deps.store)
        password_hash = await self._deps.passwords.hash(plan.password or secrets.token_urlsafe())
        agents = await asyncio.to_thread(self._parse_agents)
        now = self._deps.clock.now()
        source = _Source(plan, tenant, now=now, agents=agents)
        offset = await loader.count_users(tenant.id)
        for start in range(0, plan.users, BATCH):
            count = min(BATCH, plan.users - start)
            numbers = range(offset + start + 1, offset + start + count + 1)
            await loader.add_users(source.users(numbers, password_hash))
            report(count)
        await _pipelined(loader, source, plan.sessions, report)
        await loader.refresh_statistics()
        return SeedResult(
            tenant=tenant,
            secret_key=secret_key,
            users=plan.users,
            sessions=plan.sessions,
            ended=source.ended,
            expired=source.expired,
            seconds=time.perf_counter() - started,
        )

    async def _tenant(self, slug: str) -> tuple[Tenant, str | None]:
        try:
            return await self._tenants.get_by_slug(slug), None
        except TenantNotFound:
            created = await self._tenants.create(slug=slug, settings=CREATED_TENANT_SETTINGS)
            return created.tenant, created.secret_key.raw

    def _parse_agents(self) -> list[tuple[int, UserAgentInfo]]:
        return [(weight, self._deps.agents.parse(raw)) for weight, raw in seed_data.AGENTS]


async def _pipelined(
    loader: BulkLoader, source: _Source, total: int, report: Callable[[int], None]
) -> None:
    """Draws each batch in a worker thread while the database writes the one before."""

    async def write(batch: list[tuple[Session, Device]]) -> None:
        await loader.add_sessions(batch)
        report(len(batch))

    writing: asyncio.Task[None] | None = None
    try:
        for start in range(0, total, BATCH):
            batch = await asyncio.to_thread(source.sessions, start, min(BATCH, total - start))
            if writing is not None:
                await writing
            writing = asyncio.create_task(write(batch))
        if writing is not None:
            await writing
    finally:
        if writing is not None and not writing.done():
            writing.cancel()


class _Source:
    """Draws users and sessions; the k-th session of a run signs in at the k-th step of the
    window, so rows arrive in creation order as they would in use."""

    def __init__(
        self,
        plan: SeedPlan,
        tenant: Tenant,
        *,
        now: datetime,
        agents: list[tuple[int, UserAgentInfo]],
    ) -> None:
        self._plan = plan
        self._tenant = tenant
        self._now = now
        self._window = timedelta(days=plan.days)
        self._start = now - self._window
        self._start_ms = _ms(self._start)
        self._window_us = self._window // timedelta(microseconds=1)
        self._rng = random.Random(plan.random_seed)  # noqa: S311 (reproducible choices, not secrets)
        self._agents = [agent for _, agent in agents]
        self._agent_weights = list(itertools.accumulate(weight for weight, _ in agents))
        self._reasons = [reason for reason, _ in _END_REASONS]
        self._reason_weights = list(itertools.accumulate(weight for _, weight in _END_REASONS))
        self._ids = _Ids()
        self._user_ids: list[uuid.UUID] = []
        self._user_labels: list[str] = []
        self.ended = 0
        self.expired = 0

    def users(self, numbers: range, password_hash: str) -> list[User]:
        """Users numbered `numbers` (unique in the tenant: its count before seeding comes first)."""
        rng = self._rng
        made = []
        for number in numbers:
            given, family = rng.choice(seed_data.FIRST_NAMES), rng.choice(seed_data.LAST_NAMES)
            username = f"{given}.{family}{number}".lower()
            address = f"{username}@{rng.choice(seed_data.EMAIL_DOMAINS)}"
            step = (len(self._user_ids) + rng.random()) / self._plan.users
            created = self._start - _USERS_BEFORE_WINDOW * (1 - step)
            user = User(
                id=self._ids.at(_ms(created)),
                tenant_id=self._tenant.id,
                username=username,
                name=f"{given} {family}",
                emails=(Email(address, verified=rng.random() < _VERIFIED_SHARE),),
                state=UserState.ACTIVE,
                roles=("user",),
                created_at=created,
                updated_at=created,
                password_hash=password_hash,
            )
            self._user_ids.append(user.id)
            self._user_labels.append(str(user.id))
            made.append(user)
        return made

    def sessions(self, first: int, count: int) -> list[tuple[Session, Device]]:
        return [self._session(first + k) for k in range(count)]

    def _session(self, k: int) -> tuple[Session, Device]:
        rng = self._rng
        offset = int(self._window_us * (k + rng.random()) / self._plan.sessions)
        created = self._start + timedelta(microseconds=offset)
        owner = int(len(self._user_ids) * rng.random() ** 1.5)
        expires = created + self._tenant.settings.max_lifetime
        horizon = min(self._now, expires)
        ended_at = reason = ended_by = None
        if rng.random() < self._plan.ended_fraction:
            ended_at = created + (horizon - created) * rng.random()
            reason = self._reasons[
                bisect.bisect(self._reason_weights, rng.random() * self._reason_weights[-1])
            ]
            ended_by = _ENDED_BY.get(reason, self._user_labels[owner])
            self.ended += 1
        elif expires <= self._now:
            self.expired += 1
        last_active = created + ((ended_at or horizon) - created) * rng.random()
        ms = self._start_ms + offset // 1000
        device = Device(
            id=self._ids.at(ms),
            agent=self._agent(),
            ip=_ip(rng),
            location=self._location(owner),
            created_at=created,
        )
        session = Session(
            id=self._ids.at(ms),
            tenant_id=self._tenant.id,
            user_id=self._user_ids[owner],
            token_digest=new_token().digest,
            device_id=device.id,
            created_at=created,
            authenticated_at=created,
            issued_at=created,
            expires_at=expires,
            last_active_at=last_active,
            updated_at=ended_at or created,
            aal=AAL.AAL1,
            methods=(AuthMethod("password", AAL.AAL1, created),),
            host=rng.choice(seed_data.HOSTS),
            ended_at=ended_at,
            end_reason=reason,
            ended_by=ended_by,
        )
        return session, device

    def _agent(self) -> UserAgentInfo:
        point = self._rng.random() * self._agent_weights[-1]
        return self._agents[bisect.bisect(self._agent_weights, point)]

    def _location(self, owner: int) -> str:
        places = seed_data.LOCATIONS
        if self._rng.random() < _HOME_SHARE:
            return places[owner % len(places)]
        return self._rng.choice(places)


def _ip(rng: random.Random) -> str:
    if rng.random() < _IPV6_SHARE:
        return str(
            ipaddress.IPv6Address(0x2A02 << 112 | rng.getrandbits(64) << 16 | rng.getrandbits(16))
        )
    bits = rng.getrandbits(32)
    first = _PUBLIC_FIRST_OCTETS[(bits >> 24) % len(_PUBLIC_FIRST_OCTETS)]
    return f"{first}.{(bits >> 16) & 255}.{(bits >> 8) & 255}.{(bits & 255) or 1}"


class _Ids:
    """UUIDv7s laid out as `domain.ids.new_id` lays them out, for a given instant, with the
    random bits from a generator seeded once from the system: ids are not secrets, and two
    million system calls are not free."""

    def __init__(self) -> None:
        self._bits = random.Random(os.urandom(16))  # noqa: S311

    def at(self, ms: int) -> uuid.UUID:
        value = (ms & _MS_MASK) << 80 | self._bits.getrandbits(80)
        return uuid.UUID(int=value & _VERSION_CLEAR | _VERSION_7)


_MS_MASK = (1 << 48) - 1
_VERSION_CLEAR = ~(0xF << 76 | 0x3 << 62)
_VERSION_7 = 0x7 << 76 | 0x2 << 62


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
