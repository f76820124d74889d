"""Sessions as `sessiond sessions list` prints them: a readable table, or one JSON object each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sessiond.domain.device import pxyz_display
from sessiond.domain.errors import NotLiveReason
from sessiond.domain.ids import render_canonical
from sessiond.domain.listing import SessionRecord
from sessiond.domain.tenant import SessionSettings

_COLUMNS = ("SESSION", "USER", "BROWSER", "OS", "IP", "SIGNED IN", "LAST SEEN", "STATE")


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _state(record: SessionRecord, now: datetime, settings: SessionSettings) -> str:
    session = record.session
    reason = session.not_live_reason(now=now, settings=settings, user_active=record.user.is_active)
    if reason is None:
        return "live"
    if reason is NotLiveReason.ENDED and session.end_reason is not None:
        return f"ended ({session.end_reason.value})"
    return reason.value.replace("_", " ")


def _row(record: SessionRecord, now: datetime, settings: SessionSettings) -> tuple[str, ...]:
    display = pxyz_display(record.device.agent) if record.device else None
    return (
        render_canonical(record.session.id),
        record.user.username or record.user.primary_email or render_canonical(record.user.id),
        (display.browser if display else None) or "-",
        (display.os if display else None) or "-",
        (record.device.ip if record.device else None) or "-",
        _when(record.session.created_at),
        _when(record.session.last_active_at),
        _state(record, now, settings),
    )


def session_payload(
    record: SessionRecord, *, now: datetime, settings: SessionSettings
) -> dict[str, Any]:
    session, device = record.session, record.device
    display = pxyz_display(device.agent) if device else None
    return {
        "id": render_canonical(session.id),
        "userId": render_canonical(record.user.id),
        "username": record.user.username,
        "browser": display.browser if display else None,
        "os": display.os if display else None,
        "ip": device.ip if device else None,
        "location": (device.location or None) if device else None,
        "createdAt": _iso(session.created_at),
        "lastActiveAt": _iso(session.last_active_at),
        "expiresAt": _iso(session.expires_at),
        "endedAt": None if session.ended_at is None else _iso(session.ended_at),
        "state": _state(record, now, settings),
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def render_table(
    records: Sequence[SessionRecord], *, now: datetime, settings: SessionSettings
) -> str:
    rows = [_COLUMNS, *(_row(r, now, settings) for r in records)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(line.rstrip() for line in lines)
