"""One internal id, a time-ordered UUID (version 7), and the forms each front door renders it in."""

from __future__ import annotations

import os
import re
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


_CANONICAL = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HEX = re.compile(r"c?[0-9a-fA-F]{32}")


def parse_id(text: str, *, what: str = "id") -> uuid.UUID:
    """Accepts exactly the forms a door renders: canonical UUID, 32 hex digits, or "c" + hex."""
    if _CANONICAL.fullmatch(text) or _HEX.fullmatch(text):
        return uuid.UUID(text[-36:] if "-" in text else text[-32:])
    raise InvalidId(f"{what} {text[:64]!r} is not a valid id", field=what)


def render_canonical(value: uuid.UUID) -> str:
    return str(value)


def render_hex(value: uuid.UUID) -> str:
    return value.hex


def render_pxyz(value: uuid.UUID) -> str:
    return "c" + value.hex
