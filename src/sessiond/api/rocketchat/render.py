"""Rocket.Chat's wire shapes for sessions and users, rendered explicitly from domain objects."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sessiond.api.kit import utc_text
from sessiond.domain.device import UserAgentInfo, rocketchat_device
from sessiond.domain.ids import render_hex
from sessiond.domain.listing import SessionRecord
from sessiond.domain.two_factor import Method
from sessiond.domain.user import User


def iso(moment: datetime) -> str:
    """`2023-05-23T16:33:45.202Z`: UTC, milliseconds."""
    return utc_text(moment, "milliseconds")


def session_item(
    record: SessionRecord, *, current: uuid.UUID | None, with_user: bool = False
) -> dict[str, Any]:
    session, device = record.session, record.device
    session_id = render_hex(session.id)
    item: dict[str, Any] = {
        "sessionId": session_id,
        "userId": render_hex(session.user_id),
        "device": rocketchat_device(device.agent if device else UserAgentInfo(raw="")),
        "host": session.host or "",
        "ip": (device.ip if device else None) or "",
        "loginAt": iso(session.created_at),
    }
    if with_user:
        item["_user"] = user_projection(record.user)
    item["_id"] = session_id
    item["current"] = session.id == current
    return item


def user_projection(user: User) -> dict[str, str]:
    """`_user`: only the fields the user has."""
    projected = {}
    if user.name:
        projected["name"] = user.name
    if user.username:
        projected["username"] = user.username
    return projected


def user_document(user: User, *, methods: tuple[Method, ...] = ()) -> dict[str, Any]:
    return {
        "_id": render_hex(user.id),
        "username": user.username or "",
        "name": user.name,
        "emails": [{"address": e.address, "verified": e.verified} for e in user.emails],
        "roles": list(user.roles),
        "active": user.is_active,
        "type": "user",
        "createdAt": iso(user.created_at),
        "services": {
            "password": {"exists": user.password_hash is not None},
            "totp": {"enabled": Method.TOTP in methods},
            "email2fa": {"enabled": Method.EMAIL in methods},
        },
    }
