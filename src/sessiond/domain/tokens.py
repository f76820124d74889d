"""Session tokens and secret keys: generated and hashed here and nowhere else.

Only the digest of a token is ever stored; the raw value exists once, in the answer that issues it.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass, field

_ALPHANUMERIC = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class IssuedToken:
    raw: str = field(repr=False)
    digest: str


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_token(*, prefix: str = "", alphanumeric_length: int | None = None) -> IssuedToken:
    """32 random bytes, URL-safe; or `alphanumeric_length` of [A-Za-z0-9] (Kratos style)."""
    if alphanumeric_length is None:
        body = secrets.token_urlsafe(32)
    else:
        body = "".join(secrets.choice(_ALPHANUMERIC) for _ in range(alphanumeric_length))
    raw = prefix + body
    return IssuedToken(raw=raw, digest=digest(raw))


def new_secret_key() -> IssuedToken:
    return new_token(prefix="sk_")


def new_platform_key() -> IssuedToken:
    return new_token(prefix="pk_platform_")


def new_public_key() -> str:
    return "pk_" + secrets.token_urlsafe(24)
