from __future__ import annotations

import base64
import json

import pytest

from sessiond.domain.errors import InvalidPageToken
from sessiond.infra.pagetoken import MAX_TOKEN_LENGTH, PageTokenCodec

SECRET = b"0123456789abcdef0123456789abcdef"
PAYLOAD: dict[str, str | int | None] = {
    "after": "0190f5b2-7a1c-7000-8000-000000000001",
    "at": 1_720_000_000_123,
    "user": None,
    "q": "ünïcödé/+=?",
}


@pytest.fixture
def codec() -> PageTokenCodec:
    return PageTokenCodec(secret=SECRET, purpose="sessions")


def test_round_trip(codec: PageTokenCodec) -> None:
    assert codec.decode(codec.encode(PAYLOAD)) == PAYLOAD


def test_empty_payload_round_trips(codec: PageTokenCodec) -> None:
    assert codec.decode(codec.encode({})) == {}


def test_tokens_are_url_safe(codec: PageTokenCodec) -> None:
    for index in range(50):
        token = codec.encode({**PAYLOAD, "n": index, "pad": "x" * index})
        assert not set(token) & set("=+/")


def test_every_single_character_flip_is_refused(codec: PageTokenCodec) -> None:
    token = codec.encode(PAYLOAD)
    for index, character in enumerate(token):
        for replacement in {"A", "B", "a", "0", "-", "_", "+", "/", "="} - {character}:
            tampered = token[:index] + replacement + token[index + 1 :]
            with pytest.raises(InvalidPageToken):
                codec.decode(tampered)


def test_every_single_bit_flip_of_the_bytes_is_refused(codec: PageTokenCodec) -> None:
    raw = base64.urlsafe_b64decode(codec.encode(PAYLOAD) + "==")
    for index in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[index] ^= 1 << bit
            tampered = base64.urlsafe_b64encode(bytes(flipped)).rstrip(b"=").decode()
            with pytest.raises(InvalidPageToken):
                codec.decode(tampered)


def test_purpose_separation(codec: PageTokenCodec) -> None:
    other = PageTokenCodec(secret=SECRET, purpose="attempts")
    with pytest.raises(InvalidPageToken):
        other.decode(codec.encode(PAYLOAD))


def test_different_secret_is_refused(codec: PageTokenCodec) -> None:
    other = PageTokenCodec(secret=b"another secret of enough bytes!!", purpose="sessions")
    with pytest.raises(InvalidPageToken):
        other.decode(codec.encode(PAYLOAD))


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "not a token!",
        "====",
        "A",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "eyJhIjoxfQ",
        "é" * 40,
        "A" * (MAX_TOKEN_LENGTH + 1),
    ],
)
def test_garbage_is_refused(codec: PageTokenCodec, token: str) -> None:
    with pytest.raises(InvalidPageToken, match="do not craft your own page tokens"):
        codec.decode(token)


def test_padded_form_is_refused(codec: PageTokenCodec) -> None:
    token = codec.encode({"a": 1})
    with pytest.raises(InvalidPageToken):
        codec.decode(token + "=" * (-len(token) % 4 or 4))


def test_validly_signed_non_object_is_refused(codec: PageTokenCodec) -> None:
    for body in ([1, 2], "text", 3, {"a": 1.5}, {"a": True}, {"a": [1]}):
        raw = json.dumps(body).encode()
        token = base64.urlsafe_b64encode(raw + codec._mac(raw)).rstrip(b"=").decode()
        with pytest.raises(InvalidPageToken):
            codec.decode(token)


def test_payload_values_must_be_str_int_or_none(codec: PageTokenCodec) -> None:
    with pytest.raises(TypeError):
        codec.encode({"a": 1.5})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        codec.encode({"a": True})


def test_oversized_payload_is_a_programming_error(codec: PageTokenCodec) -> None:
    with pytest.raises(ValueError, match="too large"):
        codec.encode({"a": "x" * MAX_TOKEN_LENGTH})


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        PageTokenCodec(secret=b"short", purpose="sessions")
