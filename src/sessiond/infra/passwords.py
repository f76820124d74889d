"""Password hashing with argon2id. The hashing runs on a pool of one thread per core, shared by the
process: argon2-cffi releases the GIL, so those threads use every core, and a burst of sign-ins
queues for them rather than running more hashes at once than there are cores to run them (each
holding its memory cost, 19 MiB by default, and evicting the others' from the caches).

New hashes are argon2id over the lowercase hex SHA-256 of the password, marked `sha256:` (as Meteor
does with bcrypt), so a client that sends only that digest (Rocket.Chat's login and its password
second factor) can be checked too. Unmarked hashes are argon2id of the plain password: they still
verify against a plain password, and `needs_rehash` asks for them to be replaced.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

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
PREHASH_MARK = "sha256:"
HASHING_THREADS = os.cpu_count() or 1
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def password_digest(password: str) -> str:
    """The lowercase hex SHA-256 of a password, as Rocket.Chat clients send it."""
    return hashlib.sha256(password.encode("utf-8", "surrogatepass")).hexdigest()


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


T = TypeVar("T")


@functools.cache
def _hashing_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="sessiond-argon2")


async def _hashed(work: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool(), work, *args)


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

    async def hash(self, password: str, *, prehashed: bool = False) -> str:
        """A marked hash; with `prehashed`, `password` is already its SHA-256 hex digest."""
        secret = _prehashed(password) if prehashed else password_digest(password)
        if secret is None:
            raise ValueError("a prehashed password is a SHA-256 hex digest")
        return PREHASH_MARK + await _hashed(self._hasher.hash, secret)

    async def verify(self, password_hash: str, password: str, *, prehashed: bool = False) -> bool:
        """True only when `password` matches; False on a mismatch or an unreadable hash.

        With `prehashed`, `password` is the SHA-256 hex digest of the password; an unmarked
        (plain-argon2) hash cannot be checked against a digest and never matches one.
        """
        return await _hashed(self._verify_any, password_hash, password, prehashed)

    async def verify_dummy(self, password: str) -> None:
        """Spend the time of one verification, for an unknown user, so timing reveals nothing."""
        await _hashed(self._verify, self._dummy_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        if not password_hash.startswith(PREHASH_MARK):
            return True
        try:
            return self._hasher.check_needs_rehash(password_hash[len(PREHASH_MARK) :])
        except InvalidHashError:
            return True

    def _verify_any(self, password_hash: str, password: str, prehashed: bool) -> bool:
        secret = _prehashed(password) if prehashed else password_digest(password)
        if password_hash.startswith(PREHASH_MARK) and secret is not None:
            return self._verify(password_hash[len(PREHASH_MARK) :], secret)
        if prehashed or secret is None:
            self._verify(self._dummy_hash, password)
            return False
        return self._verify(password_hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def _prehashed(digest: str) -> str | None:
    lowered = digest.lower()
    return lowered if _SHA256_HEX.fullmatch(lowered) else None


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
