"""Events: what happened to a tenant's sessions and users, as webhook receivers are told it.

An event is written to the outbox in the unit of work that makes the change it reports, so a
change that commits has its event and one that rolls back has none. Its id is the idempotency key
receivers see (`webhook-id`). Payloads are plain JSON: ids as canonical UUID strings, instants as
ISO-8601 UTC.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sessiond.domain.attempts import SignInAttempt
from sessiond.domain.device import Device
from sessiond.domain.ids import new_id
from sessiond.domain.session import EndReason, Session
from sessiond.domain.user import User

# The namespace of ids derived from what an event reports, so that writing it twice is a no-op.
_DERIVED = uuid.UUID("0b6f3c52-8f3e-4a57-9d1e-5c1f0e6a2d7b")


class EventType(StrEnum):
    SESSION_CREATED = "session.created"
    SESSION_ENDED = "session.ended"
    SESSION_EXTENDED = "session.extended"
    SESSION_EXPIRED = "session.expired"
    SIGN_IN_FAILED = "sign_in.failed"
    USER_CREATED = "user.created"
    USER_SUSPENDED = "user.suspended"
    USER_DELETED = "user.deleted"
    TWO_FACTOR_ENABLED = "two_factor.enabled"
    TWO_FACTOR_DISABLED = "two_factor.disabled"


# Why a session ended, as `session.ended` says it.
ENDED_BECAUSE: dict[EndReason, str] = {
    EndReason.SIGNED_OUT: "logout",
    EndReason.REVOKED: "revoked_by_user",
    EndReason.REVOKED_OTHERS: "others_revoked",
    EndReason.REVOKED_ALL: "revoked_by_admin",
    EndReason.ADMIN_REVOKED: "revoked_by_admin",
    EndReason.EVICTED: "evicted_by_limit",
    EndReason.USER_SUSPENDED: "user_suspended",
    EndReason.USER_DELETED: "user_deleted",
    EndReason.PASSWORD_CHANGED: "password_changed",
}


@dataclass(frozen=True, slots=True)
class Event:
    id: uuid.UUID
    tenant_id: uuid.UUID
    type: EventType
    payload: dict[str, Any]
    occurred_at: datetime


def instant(at: datetime) -> str:
    """ISO-8601 in UTC with millisecond precision and a `Z`."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _event(tenant_id: uuid.UUID, kind: EventType, at: datetime, payload: dict[str, Any]) -> Event:
    return Event(new_id(), tenant_id, kind, payload, at)


def _device(device: Device | None) -> dict[str, Any] | None:
    if device is None:
        return None
    agent = device.agent
    return {
        "id": str(device.id),
        "user_agent": agent.raw,
        "browser": agent.browser_name,
        "browser_version": agent.browser_version,
        "os": agent.os_name,
        "os_version": agent.os_version,
        "device_type": agent.device_type,
        "ip": device.ip,
        "location": device.location or None,
    }


def session_created(session: Session, device: Device | None) -> Event:
    return _event(
        session.tenant_id,
        EventType.SESSION_CREATED,
        session.created_at,
        {
            "session_id": str(session.id),
            "user_id": str(session.user_id),
            "aal": session.aal.value,
            "methods": [m.method for m in session.methods],
            "expires_at": instant(session.expires_at),
            "device": _device(device),
        },
    )


def sessions_ended(
    tenant_id: uuid.UUID,
    ended: Sequence[tuple[uuid.UUID, uuid.UUID]],
    *,
    reason: EndReason,
    by: str | None,
    at: datetime,
) -> list[Event]:
    """One `session.ended` per (session id, user id) that this change ended."""
    return [
        _event(
            tenant_id,
            EventType.SESSION_ENDED,
            at,
            {
                "session_id": str(session_id),
                "user_id": str(user_id),
                "reason": ENDED_BECAUSE[reason],
                "ended_by": by,
                "ended_at": instant(at),
            },
        )
        for session_id, user_id in ended
    ]


def session_extended(session: Session, *, at: datetime) -> Event:
    return _event(
        session.tenant_id,
        EventType.SESSION_EXTENDED,
        at,
        {
            "session_id": str(session.id),
            "user_id": str(session.user_id),
            "expires_at": instant(session.expires_at),
        },
    )


def session_expired(session: Session, *, idle: bool, found_at: datetime) -> Event:
    """Written by whichever finds it first (a purge or a token check): its id is derived from
    the session's, so the second finding writes nothing."""
    return Event(
        uuid.uuid5(_DERIVED, f"session.expired:{session.id}"),
        session.tenant_id,
        EventType.SESSION_EXPIRED,
        {
            "session_id": str(session.id),
            "user_id": str(session.user_id),
            "reason": "idle" if idle else "expired",
            "expires_at": instant(session.expires_at),
            "last_active_at": instant(session.last_active_at),
        },
        found_at,
    )


def sign_in_failed(attempt: SignInAttempt) -> Event:
    reason = attempt.failure_reason
    return _event(
        attempt.tenant_id,
        EventType.SIGN_IN_FAILED,
        attempt.updated_at,
        {
            "attempt_id": str(attempt.id),
            "user_id": None if attempt.user_id is None else str(attempt.user_id),
            "identifier": attempt.identifier,
            "strategy": attempt.strategy.value,
            "reason": None if reason is None else reason.value,
            "ip": attempt.ip,
            "user_agent": attempt.user_agent,
        },
    )


def _user(user: User) -> dict[str, Any]:
    return {
        "user_id": str(user.id),
        "username": user.username,
        "email": user.primary_email,
    }


def user_created(user: User) -> Event:
    return _event(user.tenant_id, EventType.USER_CREATED, user.created_at, _user(user))


def user_suspended(user: User, *, by: str | None, at: datetime) -> Event:
    return _event(user.tenant_id, EventType.USER_SUSPENDED, at, {**_user(user), "by": by})


def user_deleted(tenant_id: uuid.UUID, user_id: uuid.UUID, *, at: datetime) -> Event:
    return _event(tenant_id, EventType.USER_DELETED, at, {"user_id": str(user_id)})


def two_factor_changed(
    tenant_id: uuid.UUID, user_id: uuid.UUID, *, method: str, enabled: bool, at: datetime
) -> Event:
    kind = EventType.TWO_FACTOR_ENABLED if enabled else EventType.TWO_FACTOR_DISABLED
    return _event(tenant_id, kind, at, {"user_id": str(user_id), "method": method})
