from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from sessiond.infra.totp import (
    backup_code_digest,
    generate_backup_codes,
    is_backup_code_shaped,
    new_totp_secret,
    provisioning_uri,
    totp_step,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
T = datetime(2024, 7, 1, 12, 0, 15, tzinfo=UTC)
STEP = int(T.timestamp()) // 30


def code_at(moment: datetime) -> str:
    return pyotp.TOTP(SECRET).at(moment)


def test_new_secret_is_160_bit_base32() -> None:
    secret = new_totp_secret()
    assert len(secret) == 32
    assert len(base64.b32decode(secret)) == 20
    assert new_totp_secret() != secret


def test_provisioning_uri() -> None:
    uri = urlparse(provisioning_uri(secret=SECRET, account="ada@example.com", issuer="sessiond"))
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert uri.path == "/sessiond:ada%40example.com"
    assert parse_qs(uri.query)["secret"] == [SECRET]
    assert parse_qs(uri.query)["issuer"] == ["sessiond"]


def test_code_is_accepted_at_its_time() -> None:
    assert totp_step(SECRET, code_at(T), at=T) == STEP


def test_returned_step_is_the_code_step_within_the_window() -> None:
    code = code_at(T)
    assert totp_step(SECRET, code, at=T - timedelta(seconds=30)) == STEP
    assert totp_step(SECRET, code, at=T + timedelta(seconds=30)) == STEP


def test_code_is_refused_outside_the_window() -> None:
    code = code_at(T)
    assert totp_step(SECRET, code, at=T + timedelta(seconds=90)) is None
    assert totp_step(SECRET, code, at=T - timedelta(seconds=90)) is None
    assert totp_step(SECRET, code, at=T + timedelta(seconds=30), window=0) is None


def test_step_equals_time_over_thirty() -> None:
    for seconds in (0, 29, 30, 1_000_000_000, 1_720_000_000):
        moment = datetime.fromtimestamp(seconds, UTC)
        assert totp_step(SECRET, code_at(moment), at=moment) == int(seconds / 30)


def test_naive_time_is_read_as_utc() -> None:
    assert totp_step(SECRET, code_at(T), at=T.replace(tzinfo=None)) == STEP


def test_spaces_and_dashes_are_ignored() -> None:
    code = code_at(T)
    assert totp_step(SECRET, f"{code[:3]} {code[3:]}", at=T) == STEP
    assert totp_step(SECRET, f" {code[:3]}-{code[3:]} ", at=T) == STEP


def test_wrong_code_is_refused() -> None:
    code = code_at(T)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert totp_step(SECRET, wrong, at=T) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12345a", "١٢٣٤٥٦", "+12345"])
def test_malformed_codes_are_refused(code: str) -> None:
    assert totp_step(SECRET, code, at=T) is None


def test_negative_window_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="window"):
        totp_step(SECRET, "123456", at=T, window=-1)


def test_backup_codes_are_unique_and_shaped() -> None:
    codes = generate_backup_codes()
    assert len(codes) == 12
    assert len(set(codes)) == 12
    for code in codes:
        assert len(code) == 8
        assert set(code) <= set("abcdefghijklmnopqrstuvwxyz0123456789")
        assert is_backup_code_shaped(code)


def test_backup_code_count() -> None:
    assert len(generate_backup_codes(3)) == 3
    with pytest.raises(ValueError, match="count"):
        generate_backup_codes(0)


def test_backup_code_digest_normalises() -> None:
    expected = backup_code_digest("ab12cd34", salt=b"user-1")
    assert backup_code_digest("AB12-CD34", salt=b"user-1") == expected
    assert backup_code_digest(" ab12 cd34 ", salt=b"user-1") == expected


def test_backup_code_digest_is_salted_and_not_a_fast_hash() -> None:
    digest = backup_code_digest("ab12cd34", salt=b"user-1")
    assert digest != backup_code_digest("ab12cd34", salt=b"user-2")
    assert digest != hashlib.sha256(b"ab12cd34").hexdigest()
    assert len(digest) == 64


@pytest.mark.parametrize(
    ("code", "shaped"),
    [
        ("ab12cd34", True),
        ("AB12-CD34", True),
        ("ab12 cd34", True),
        ("ab12cd3", False),
        ("ab12cd345", False),
        ("ab12cd3!", False),
        ("ab12cd3é", False),
        ("", False),
    ],
)
def test_is_backup_code_shaped(code: str, shaped: bool) -> None:
    assert is_backup_code_shaped(code) is shaped
