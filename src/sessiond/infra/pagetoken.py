"""Opaque, tamper-evident page tokens.

A token is unpadded URL-safe base64 of `payload || mac`: payload is compact JSON, mac the first
16 bytes of HMAC-SHA256 under a key derived from the secret and the purpose, so a token made for one
purpose is refused for another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping

from sessiond.domain.errors import InvalidPageToken

MAX_TOKEN_LENGTH = 1024
MIN_SECRET_LENGTH = 16

_MAC_LENGTH = 16
_KEY_LABEL = b"sessiond page token\x00"
_TOKEN_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")

PageTokenValue = str | int | None


class PageTokenCodec:
    def __init__(self, *, secret: bytes, purpose: str) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"the page token secret must be at least {MIN_SECRET_LENGTH} bytes")
        if not purpose:
            raise ValueError("the page token purpose must not be empty")
        self._key = hmac.digest(secret, _KEY_LABEL + purpose.encode(), hashlib.sha256)

    def encode(self, payload: Mapping[str, PageTokenValue]) -> str:
        body = _dump(payload)
        token = _b64encode(body + self._mac(body))
        if len(token) > MAX_TOKEN_LENGTH:
            raise ValueError("the page token payload is too large")
        return token

    def decode(self, token: str) -> dict[str, PageTokenValue]:
        raw = _b64decode(token)
        body, mac = raw[:-_MAC_LENGTH], raw[-_MAC_LENGTH:]
        if not hmac.compare_digest(mac, self._mac(body)):
            raise InvalidPageToken()
        return _load(body)

    def _mac(self, body: bytes) -> bytes:
        return hmac.digest(self._key, body, hashlib.sha256)[:_MAC_LENGTH]


def _dump(payload: Mapping[str, PageTokenValue]) -> bytes:
    for key, value in payload.items():
        if not isinstance(key, str) or not _is_value(value):
            raise TypeError(f"page token payload values must be str, int or None: {key!r}")
    return json.dumps(dict(payload), separators=(",", ":")).encode()


def _load(body: bytes) -> dict[str, PageTokenValue]:
    try:
        payload: object = json.loads(body)
    except ValueError:
        raise InvalidPageToken() from None
    if not isinstance(payload, dict) or not all(map(_is_value, payload.values())):
        raise InvalidPageToken()
    return payload


def _is_value(value: object) -> bool:
    return value is None or isinstance(value, str) or type(value) is int


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(token: str) -> bytes:
    """Decode strictly: only the canonical encoding of some bytes is accepted."""
    if len(token) > MAX_TOKEN_LENGTH or not _TOKEN_ALPHABET.fullmatch(token):
        raise InvalidPageToken()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidPageToken() from None
    if len(raw) <= _MAC_LENGTH or _b64encode(raw) != token:
        raise InvalidPageToken()
    return raw
