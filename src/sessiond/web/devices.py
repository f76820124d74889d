"""What the pages show of a session: its device, where it was signed in, when, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sessiond.domain.device import Device, kind_of
from sessiond.domain.ids import render_hex
from sessiond.domain.listing import SessionRecord
from sessiond.domain.session import EndReason

KIND_LABELS = {
    "desktop": "Computer",
    "phone": "Phone",
    "tablet": "Tablet",
    "app": "App",
    "bot": "Bot",
}
ENDINGS = {
    EndReason.SIGNED_OUT: "Signed out",
    EndReason.REVOKED: "Signed out from another device",
    EndReason.REVOKED_OTHERS: "Signed out from another device (all others)",
    EndReason.REVOKED_ALL: "Signed out everywhere",
    EndReason.ADMIN_REVOKED: "Ended by an administrator",
    EndReason.EVICTED: "Ended by a newer sign-in (session limit)",
    EndReason.USER_SUSPENDED: "Account suspended",
    EndReason.USER_DELETED: "Account deleted",
    EndReason.PASSWORD_CHANGED: "Password changed",
}


@dataclass(frozen=True, slots=True)
class SessionView:
    id: str
    kind: str
    kind_label: str
    browser: str
    os: str
    where: str
    signed_in: datetime
    last_active: datetime
    last_active_ago: str
    current: bool
    ended: datetime | None = None
    ending: str = ""


def session_view(
    record: SessionRecord, *, now: datetime, current: bool, idle: timedelta | None
) -> SessionView:
    """`idle`: the tenant's inactivity timeout, which ends a session without a row change."""
    session, device = record.session, record.device
    kind = device_kind(device)
    ended = session.ended_at
    ending = ""
    if ended is not None:
        ending = ENDINGS.get(session.end_reason, "Ended") if session.end_reason else "Ended"
    elif now >= session.expires_at:
        ended, ending = session.expires_at, "Expired"
    elif idle is not None and now >= session.last_active_at + idle:
        ended, ending = session.last_active_at + idle, "Timed out (inactive)"
    return SessionView(
        id=render_hex(session.id),
        kind=kind,
        kind_label=KIND_LABELS[kind],
        browser=_browser(device),
        os=_os(device),
        where=_where(device),
        signed_in=session.created_at,
        last_active=session.last_active_at,
        last_active_ago=ago(session.last_active_at, now=now),
        current=current,
        ended=ended,
        ending=ending,
    )


def device_kind(device: Device | None) -> str:
    """desktop, phone, tablet, app or bot."""
    if device is None:
        return "desktop"
    return kind_of(app_kind=device.agent.app_kind, device_type=device.agent.device_type)


def ago(moment: datetime, *, now: datetime) -> str:
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def utc_title(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def within(moment: datetime | None, *, now: datetime, days: int) -> bool:
    return moment is not None and now - moment <= timedelta(days=days)


def _browser(device: Device | None) -> str:
    if device is None:
        return "Unknown browser"
    agent = device.agent
    if agent.app_kind is not None:
        return " ".join(p for p in (agent.app_name or "App", agent.app_version) if p)
    if not agent.browser_name:
        return "Unknown browser"
    return " ".join(p for p in (agent.browser_name, agent.browser_version) if p)


def _os(device: Device | None) -> str:
    if device is None or not device.agent.os_name:
        return "Unknown system"
    return " ".join(p for p in (device.agent.os_name, device.agent.os_version) if p)


def _where(device: Device | None) -> str:
    if device is None:
        return "Unknown place"
    return device.location or device.ip or "Unknown place"
