from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sessiond.domain.errors import InvalidInput

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]{1,255}$")


class UserState(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


@dataclass(frozen=True, slots=True)
class Email:
    address: str
    verified: bool = False


@dataclass(frozen=True, slots=True)
class Totp:
    secret: str = field(repr=False)
    enabled: bool
    last_step: int | None = None


@dataclass(frozen=True, slots=True)
class User:
    id: uuid.UUID
    tenant_id: uuid.UUID
    username: str | None
    name: str
    emails: tuple[Email, ...]
    state: UserState
    roles: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    password_hash: str | None = field(default=None, repr=False)
    traits: dict[str, Any] = field(default_factory=dict)
    metadata_public: dict[str, Any] | None = None
    metadata_admin: dict[str, Any] | None = None
    totp: Totp | None = None

    @property
    def is_active(self) -> bool:
        return self.state is UserState.ACTIVE

    @property
    def has_second_factor(self) -> bool:
        return self.totp is not None and self.totp.enabled

    @property
    def primary_email(self) -> str | None:
        return self.emails[0].address if self.emails else None


def check_username(username: str) -> str:
    if not _USERNAME.fullmatch(username):
        raise InvalidInput(
            "a username is 1-128 letters, digits or . _ @ + - and starts with a letter or digit",
            field="username",
        )
    return username


def check_email(address: str) -> str:
    if not _EMAIL.fullmatch(address):
        raise InvalidInput(f"{address[:80]!r} is not an email address", field="email")
    return address


def normalise_identifier(identifier: str) -> str:
    return identifier.strip().lower()


NAME_MAX_LENGTH = 200
IDENTIFIER_MAX_LENGTH = 320


def check_text(value: str, *, field: str, max_length: int) -> str:
    """Text the store can hold on every backend: no NUL, at most `max_length` characters."""
    if "\x00" in value:
        raise InvalidInput(f"{field} must not contain NUL characters", field=field)
    if len(value) > max_length:
        raise InvalidInput(f"{field} must be at most {max_length} characters", field=field)
    return value
