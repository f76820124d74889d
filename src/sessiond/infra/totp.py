"""RFC 6238 time-based one-time passwords (SHA-1, 6 digits, 30 s) and backup codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from datetime import datetime

import pyotp

from sessiond.infra.clock import utc

TOTP_DIGITS = 6
TOTP_INTERVAL_SECONDS = 30
BACKUP_CODE_LENGTH = 8

_SECRET_BYTES = 20
_BACKUP_CODE_ALPHABET = string.ascii_lowercase + string.digits
_SEPARATORS = str.maketrans("", "", " -")


def new_totp_secret() -> str:
    """160 random bits, base32 without padding (32 characters)."""
    return base64.b32encode(secrets.token_bytes(_SECRET_BYTES)).decode("ascii")


def provisioning_uri(*, secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def totp_step(secret: str, code: str, *, at: datetime, window: int = 1) -> int | None:
    """The 30-second time step whose code is `code`, within `window` steps of `at`, or None.

    Callers store the step they accepted and refuse any step at or before it, so a code is never
    used twice.
    """
    if window < 0:
        raise ValueError("window must not be negative")
    code = code.translate(_SEPARATORS)
    if len(code) != TOTP_DIGITS or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL_SECONDS)
    current = int(utc(at).timestamp()) // TOTP_INTERVAL_SECONDS
    matched: int | None = None
    for step in _nearest_first(current, window):
        if hmac.compare_digest(totp.generate_otp(step), code) and matched is None:
            matched = step
    return matched


def _nearest_first(current: int, window: int) -> list[int]:
    steps = [current]
    for offset in range(1, window + 1):
        steps += [current - offset, current + offset]
    return [step for step in steps if step >= 0]


def generate_backup_codes(count: int = 12) -> list[str]:
    if count < 1:
        raise ValueError("count must be at least 1")
    codes: dict[str, None] = {}
    while len(codes) < count:
        codes[_backup_code()] = None
    return list(codes)


def _backup_code() -> str:
    return "".join(secrets.choice(_BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_LENGTH))


def normalize_backup_code(code: str) -> str:
    return code.translate(_SEPARATORS).lower()


# scrypt at 16 MiB: an 8-character code has about 41 bits, so a fast unsalted hash of it would
# fall to a GPU in minutes if the database leaked. One derivation per try; compare to every code.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}


def backup_code_digest(code: str, *, salt: bytes) -> str:
    """Slow, salted digest of a backup code (about 50 ms: call it off the event loop).

    `salt` is per user (its id), so one derivation serves every code that user holds.
    """
    normalized = normalize_backup_code(code).encode()
    return hashlib.scrypt(normalized, salt=b"sessiond-backup-code:" + salt, **_SCRYPT).hex()


def is_backup_code_shaped(code: str) -> bool:
    normalized = normalize_backup_code(code)
    return len(normalized) == BACKUP_CODE_LENGTH and all(
        character in _BACKUP_CODE_ALPHABET for character in normalized
    )
