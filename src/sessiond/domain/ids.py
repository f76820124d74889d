"""One internal id, a time-ordered UUID (version 7), and the forms each front door renders it in."""

from __future__ import annotations

import os
import time
import uuid

from sessiond.domain.errors import InvalidId


def new_id(*, now_ms: int | None = None) -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms & ((1 << 48) - 1)) << 80
    value |= int.from_bytes(os.urandom(10), "big") & ((1 << 80) - 1)
    value &= ~(0xF << 76)
    value |= 0x7 << 76
    value &= ~(0x3 << 62)
    value |= 0x2 << 62
    return uuid.UUID(int=value)


def parse_id(text: str, *, what: str = "id") -> uuid.UUID:
    """Accepts every form a door renders: canonical UUID, 32 hex digits, or pxyz's "c" + hex."""
    candidate = text.strip()
    if len(candidate) == 33 and candidate[0] == "c":
        candidate = candidate[1:]
    if len(candidate) not in (32, 36):
        raise InvalidId(f"{what} {text[:64]!r} is not a valid id", field=what)
    try:
        return uuid.UUID(candidate)
    except ValueError as exc:
        raise InvalidId(f"{what} {text[:64]!r} is not a valid id", field=what) from exc


def render_canonical(value: uuid.UUID) -> str:
    return str(value)


def render_hex(value: uuid.UUID) -> str:
    return value.hex


def render_pxyz(value: uuid.UUID) -> str:
    return "c" + value.hex
