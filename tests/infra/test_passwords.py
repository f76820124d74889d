from __future__ import annotations

import argon2
import pytest
from argon2 import extract_parameters

from sessiond.domain.errors import WeakPassword
from sessiond.infra.passwords import (
    DUMMY_HASH,
    PREHASH_MARK,
    PasswordHasher,
    check_password_policy,
    dummy_hash,
    password_digest,
)

CHEAP = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@pytest.fixture
def hasher() -> PasswordHasher:
    return PasswordHasher(**CHEAP)


async def test_hash_and_verify(hasher: PasswordHasher) -> None:
    password_hash = await hasher.hash("correct horse battery staple")
    assert password_hash.startswith("sha256:$argon2id$")
    assert "correct horse" not in password_hash
    assert await hasher.verify(password_hash, "correct horse battery staple")
    assert not await hasher.verify(password_hash, "correct horse battery stapler")


async def test_hashes_are_salted(hasher: PasswordHasher) -> None:
    assert await hasher.hash("same password") != await hasher.hash("same password")


@pytest.mark.parametrize(
    "corrupt",
    ["", "garbage", "$argon2id$v=19$m=1024,t=1,p=1$abc$def", "$argon2id$v=19$m=1024,t=1,p=1$"],
)
async def test_corrupt_hash_does_not_verify(hasher: PasswordHasher, corrupt: str) -> None:
    assert not await hasher.verify(corrupt, "any password")


async def test_truncated_hash_does_not_verify(hasher: PasswordHasher) -> None:
    password_hash = await hasher.hash("a password")
    assert not await hasher.verify(password_hash[:-4], "a password")


async def test_needs_rehash_after_parameter_change(hasher: PasswordHasher) -> None:
    password_hash = await hasher.hash("a password")
    assert not hasher.needs_rehash(password_hash)
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    assert stronger.needs_rehash(password_hash)
    assert await stronger.verify(password_hash, "a password")


def test_corrupt_hash_needs_rehash(hasher: PasswordHasher) -> None:
    assert hasher.needs_rehash("garbage")


def test_default_parameters_are_owasp_minimum() -> None:
    parameters = extract_parameters(DUMMY_HASH)
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (2, 19456, 1)
    assert not PasswordHasher().needs_rehash(PREHASH_MARK + DUMMY_HASH)


def test_dummy_hash_carries_the_given_parameters() -> None:
    parameters = extract_parameters(dummy_hash(**CHEAP))
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (1, 1024, 1)
    assert (parameters.salt_len, parameters.hash_len) == (16, 32)


async def test_verify_dummy_runs(hasher: PasswordHasher) -> None:
    await hasher.verify_dummy("whatever the caller typed")


async def test_nothing_verifies_against_the_dummy_hash(hasher: PasswordHasher) -> None:
    assert not await hasher.verify(dummy_hash(**CHEAP), "")


@pytest.mark.parametrize("password", ["12345678", "x" * 1024, "pässwörd"])
def test_policy_accepts(password: str) -> None:
    check_password_policy(password)


def test_policy_refuses_short_password() -> None:
    with pytest.raises(WeakPassword, match="at least 8 characters") as caught:
        check_password_policy("1234567")
    assert caught.value.field == "password"


def test_policy_refuses_long_password() -> None:
    with pytest.raises(WeakPassword, match="at most 1024 characters"):
        check_password_policy("x" * 1025)


async def test_a_new_hash_verifies_the_plain_password_and_its_sha256_digest(
    hasher: PasswordHasher,
) -> None:
    password_hash = await hasher.hash("correct horse battery staple")
    digest = password_digest("correct horse battery staple")
    assert await hasher.verify(password_hash, digest, prehashed=True)
    assert await hasher.verify(password_hash, digest.upper(), prehashed=True)
    assert not await hasher.verify(password_hash, password_digest("wrong"), prehashed=True)
    assert not await hasher.verify(password_hash, "not a digest", prehashed=True)
    assert not await hasher.verify(password_hash, digest)


async def test_a_hash_made_from_the_digest_verifies_the_plain_password(
    hasher: PasswordHasher,
) -> None:
    password_hash = await hasher.hash(password_digest("a password"), prehashed=True)
    assert await hasher.verify(password_hash, "a password")
    with pytest.raises(ValueError, match="SHA-256"):
        await hasher.hash("a password", prehashed=True)


async def test_an_old_plain_argon2_hash_verifies_plainly_and_asks_for_a_rehash(
    hasher: PasswordHasher,
) -> None:
    legacy = argon2.PasswordHasher(
        time_cost=1, memory_cost=1024, parallelism=1, type=argon2.Type.ID
    ).hash("a password")
    assert await hasher.verify(legacy, "a password")
    assert not await hasher.verify(legacy, password_digest("a password"), prehashed=True)
    assert hasher.needs_rehash(legacy)
    assert not hasher.needs_rehash(await hasher.hash("a password"))


def test_the_password_digest_is_lowercase_sha256_hex() -> None:
    assert password_digest("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
