"""Password hashing with argon2id. The hashing work runs in a worker thread."""

from __future__ import annotations

import asyncio
import base64

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from sessiond.domain.errors import WeakPassword

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024

DEFAULT_TIME_COST = 2
DEFAULT_MEMORY_COST = 19456
DEFAULT_PARALLELISM = 1
_HASH_LENGTH = 32
_SALT_LENGTH = 16
_DUMMY_SALT = b"sessiond dummy!!"


def dummy_hash(*, time_cost: int, memory_cost: int, parallelism: int) -> str:
    """A well-formed argon2id hash that no password matches, made without hashing.

    Verifying against it costs as much as verifying against a real hash with the same parameters,
    because argon2 always computes the full hash before comparing.
    """
    salt = _b64(_DUMMY_SALT)
    digest = _b64(bytes(_HASH_LENGTH))
    parameters = f"m={memory_cost},t={time_cost},p={parallelism}"
    return f"$argon2id$v={argon2.low_level.ARGON2_VERSION}${parameters}${salt}${digest}"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


DUMMY_HASH = dummy_hash(
    time_cost=DEFAULT_TIME_COST, memory_cost=DEFAULT_MEMORY_COST, parallelism=DEFAULT_PARALLELISM
)


class PasswordHasher:
    def __init__(
        self,
        *,
        time_cost: int = DEFAULT_TIME_COST,
        memory_cost: int = DEFAULT_MEMORY_COST,
        parallelism: int = DEFAULT_PARALLELISM,
    ) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            hash_len=_HASH_LENGTH,
            salt_len=_SALT_LENGTH,
            type=argon2.Type.ID,
        )
        self._dummy_hash = dummy_hash(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """True only when `password` matches; False on a mismatch or an unreadable hash."""
        return await asyncio.to_thread(self._verify, password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        """Spend the time of one verification, for an unknown user, so timing reveals nothing."""
        await asyncio.to_thread(self._verify, self._dummy_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters long",
            field="password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            f"the password must be at most {MAX_PASSWORD_LENGTH} characters long",
            field="password",
        )
