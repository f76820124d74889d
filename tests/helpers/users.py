"""Users to sign in as, signing in with a password, and the second factor they may need."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pyotp

from sessiond.domain.attempts import SignInAttempt, Strategy
from sessiond.domain.listing import OffsetPage, SessionQuery, SessionState
from sessiond.domain.tenant import Tenant
from sessiond.domain.user import Email, Totp, User, UserState
from sessiond.infra.clock import FrozenClock
from sessiond.infra.totp import backup_code_digest, new_totp_secret
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.sign_in import PasswordSignIn, SignInResult
from sessiond.services.users import NewUser
from sessiond.store.repositories.device_profiles import DeviceProfileRepository

PASSWORD = "correct horse battery"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
CLIENT = Client(user_agent=CHROME, ip="203.0.113.7", host="auth.example.test")


async def add_user(
    services: Services,
    tenant: Tenant,
    username: str | None = "alice",
    *,
    emails: tuple[str, ...] = (),
    password: str | None = PASSWORD,
    state: UserState = UserState.ACTIVE,
) -> User:
    new = NewUser(
        username=username,
        password=password,
        emails=tuple(Email(address) for address in emails),
        state=state,
    )
    return await services.users.create(tenant.id, new)


async def sign_in(
    services: Services,
    tenant: Tenant,
    identifier: str = "alice",
    password: str = PASSWORD,
    *,
    strategy: Strategy = Strategy.USERNAME_PASSWORD,
) -> SignInResult:
    return await services.sign_ins.password(
        PasswordSignIn(
            tenant.id, identifier=identifier, password=password, client=CLIENT, strategy=strategy
        )
    )


async def stored_sign_ins(services: Services, tenant: Tenant) -> list[SignInAttempt]:
    async with services.deps.store.unit_of_work(write=False) as uow:
        attempts, total = await uow.sign_ins.list_page(tenant.id, offset=0, limit=50)
    assert total == len(attempts)
    return attempts


async def count_sessions(
    services: Services, tenant: Tenant, state: SessionState = SessionState.ALL
) -> int:
    page = await services.sessions.list_offset(
        SessionQuery(tenant.id, state=state), OffsetPage(limit=1)
    )
    return page.total


async def enable_totp(
    services: Services, tenant: Tenant, user: User, backup_codes: list[str] | None = None
) -> str:
    secret = new_totp_secret()
    async with services.deps.store.unit_of_work() as uow:
        current = await uow.users.get(tenant.id, user.id)
        assert current is not None
        await uow.users.update(replace(current, totp=Totp(secret=secret, enabled=True)))
        digests = [backup_code_digest(code, salt=user.id.bytes) for code in backup_codes or []]
        await uow.users.replace_backup_codes(tenant.id, user.id, digests)
        await uow.commit()
    return secret


def wrong_code(secret: str, clock: FrozenClock) -> str:
    totp = pyotp.TOTP(secret)
    now = clock.now()
    accepted = {totp.at(now + timedelta(seconds=s)) for s in (-60, -30, 0, 30, 60)}
    candidate = int(totp.at(now))
    while f"{candidate:06d}" in accepted:
        candidate = (candidate + 1) % 1_000_000
    return f"{candidate:06d}"


async def met_device(services: Services, tenant: Tenant, client: Client = CLIENT) -> None:
    """The tenant has met the client's kind of device before (its device profile exists), as
    nearly every sign-in finds: on PostgreSQL such a sign-in is written in one statement."""
    agent = await services.deps.parse_agent(client.user_agent)
    async with services.deps.store.engine.begin() as conn:
        await DeviceProfileRepository(conn).ids_for(tenant.id, [agent])
