"""Issuing a session: the user re-checked under lock, the per-user limit, the device and the token.

Everything here runs inside the caller's unit of work, so a sign-in's attempt, session and device
commit together or not at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sessiond.domain.attempts import SignInAttempt
from sessiond.domain.device import Device, UserAgentInfo
from sessiond.domain.errors import AuthenticationFailed, SessionLimitReached, UserSuspended
from sessiond.domain.events import session_created
from sessiond.domain.ids import new_id
from sessiond.domain.listing import SessionRecord
from sessiond.domain.session import (
    AAL,
    AuthMethod,
    EndReason,
    Session,
    expiry_for_new_session,
    live_idle_cutoff,
    sessions_to_evict,
)
from sessiond.domain.tenant import Tenant
from sessiond.domain.tokens import new_token
from sessiond.domain.user import User
from sessiond.services.context import Client, Deps, TokenFormat
from sessiond.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class IssuedSession:
    record: SessionRecord
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Grant:
    """What the sign-in proved: the assurance level and the methods that reached it."""

    aal: AAL
    methods: tuple[AuthMethod, ...]
    sign_in_attempt_id: uuid.UUID | None = None
    sign_up_attempt_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Issue:
    """Where a session goes: the client, its parsed agent, and the token shape its door wants."""

    client: Client
    agent: UserAgentInfo
    token_format: TokenFormat


async def issue_for(deps: Deps, client: Client, token_format: TokenFormat) -> Issue:
    return Issue(client, await deps.parse_agent(client.user_agent), token_format)


async def lock_user(
    uow: UnitOfWork, *, tenant_id: uuid.UUID, user_id: uuid.UUID, password_hash: str | None
) -> User:
    """The user, locked for the rest of the unit of work and checked again under the lock.

    A suspension or a password change that landed after the password was verified wins: the
    session is refused rather than issued to a user who may no longer have it.
    """
    user = await uow.users.get_for_update(tenant_id, user_id)
    if user is None or (password_hash is not None and user.password_hash != password_hash):
        raise AuthenticationFailed("the identifier or the password is wrong")
    if not user.is_active:
        raise UserSuspended("this user is suspended")
    return user


async def check_room(uow: UnitOfWork, *, deps: Deps, tenant: Tenant, user: User) -> list[Session]:
    """The live sessions that must end to make room for one more (call with the user locked).

    Raises `SessionLimitReached` under policy `deny`; it writes nothing, so a refusal leaves the
    unit of work clean for recording the failed attempt.
    """
    if tenant.settings.max_live_sessions is None:
        return []  # no limit: nothing to count (a user may have thousands of live sessions)
    now = deps.clock.now()
    live = await uow.sessions.live_for_user(
        tenant.id, user.id, now=now, idle_cutoff=live_idle_cutoff(now=now, settings=tenant.settings)
    )
    evict = sessions_to_evict(live, settings=tenant.settings)
    if evict is None:
        raise SessionLimitReached(
            f"the user already has {len(live)} live sessions, the most this tenant allows"
        )
    return list(evict)


async def issue_session(
    uow: UnitOfWork,
    *,
    deps: Deps,
    tenant: Tenant,
    user: User,
    grant: Grant,
    issue: Issue,
    evict: list[Session],
    attempt: SignInAttempt | None = None,
) -> IssuedSession:
    """Writes the session (and `attempt`, the new sign-in attempt it completes, if any) and its
    `session.created` event."""
    now = deps.clock.now()
    if evict:
        await uow.sessions.end(
            tenant.id,
            session_ids=[s.id for s in evict],
            at=now,
            reason=EndReason.EVICTED,
            by="session-limit",
        )
    issued = new_session(tenant=tenant, user=user, grant=grant, issue=issue, now=now)
    session, device = issued.record.session, issued.record.device
    await uow.sessions.add(session, device, attempt=attempt, event=session_created(session, device))
    return issued


def new_session(
    *, tenant: Tenant, user: User, grant: Grant, issue: Issue, now: datetime
) -> IssuedSession:
    """A new session on a new device, with its token: nothing written yet."""
    client = issue.client
    device = Device(
        id=new_id(), agent=issue.agent, ip=client.ip, location=client.location, created_at=now
    )
    shape = issue.token_format
    token = new_token(prefix=shape.prefix, alphanumeric_length=shape.alphanumeric_length)
    session = _new_session(tenant, user, grant, token.digest, device.id, client.host, now)
    return IssuedSession(SessionRecord(session=session, device=device, user=user), token.raw)


def _new_session(
    tenant: Tenant,
    user: User,
    grant: Grant,
    token_digest: str,
    device_id: uuid.UUID,
    host: str | None,
    now: datetime,
) -> Session:
    return Session(
        id=new_id(),
        tenant_id=tenant.id,
        user_id=user.id,
        token_digest=token_digest,
        device_id=device_id,
        created_at=now,
        authenticated_at=now,
        issued_at=now,
        expires_at=expiry_for_new_session(now=now, settings=tenant.settings),
        last_active_at=now,
        updated_at=now,
        aal=grant.aal,
        methods=grant.methods,
        host=host,
        sign_in_attempt_id=grant.sign_in_attempt_id,
        sign_up_attempt_id=grant.sign_up_attempt_id,
    )
