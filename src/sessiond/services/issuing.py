"""Issuing a session: the per-user limit, the device, the token, in the caller's unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sessiond.domain.device import Device, UserAgentInfo
from sessiond.domain.errors import SessionLimitReached
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


async def check_room(uow: UnitOfWork, deps: Deps, *, tenant: Tenant, user: User) -> list[Session]:
    """Locks the user and returns the live sessions that must end to make room for one more.

    Raises `SessionLimitReached` under policy `deny`. Call it before writing anything else, so a
    refusal leaves the unit of work clean for recording the failed attempt.
    """
    await uow.users.get_for_update(tenant.id, user.id)
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
    deps: Deps,
    *,
    tenant: Tenant,
    user: User,
    grant: Grant,
    client: Client,
    agent: UserAgentInfo,
    evict: list[Session],
    token_format: TokenFormat,
) -> IssuedSession:
    now = deps.clock.now()
    if evict:
        await uow.sessions.end(
            tenant.id,
            session_ids=[s.id for s in evict],
            at=now,
            reason=EndReason.EVICTED,
            by="session-limit",
        )
    device = Device(
        id=new_id(),
        agent=agent,
        ip=_bounded(client.ip, IP_MAX_LENGTH),
        location=_bounded(client.location, LOCATION_MAX_LENGTH) or "",
        created_at=now,
    )
    token = new_token(
        prefix=token_format.prefix, alphanumeric_length=token_format.alphanumeric_length
    )
    session = Session(
        id=new_id(),
        tenant_id=tenant.id,
        user_id=user.id,
        token_digest=token.digest,
        device_id=device.id,
        created_at=now,
        authenticated_at=now,
        issued_at=now,
        expires_at=expiry_for_new_session(now=now, settings=tenant.settings),
        last_active_at=now,
        updated_at=now,
        aal=grant.aal,
        methods=grant.methods,
        host=_bounded(client.host, HOST_MAX_LENGTH),
        sign_in_attempt_id=grant.sign_in_attempt_id,
        sign_up_attempt_id=grant.sign_up_attempt_id,
    )
    await uow.sessions.add(session, device)
    return IssuedSession(SessionRecord(session=session, device=device, user=user), token.raw)


HOST_MAX_LENGTH = 256
LOCATION_MAX_LENGTH = 256
IP_MAX_LENGTH = 64


def _bounded(value: str | None, limit: int) -> str | None:
    """Client-supplied text is stored as far as it fits, never refused: a sign-in must not fail."""
    if value is None:
        return None
    return value.replace("\x00", "")[:limit] or None
