"""The internal id: a UUIDv7, and the forms each front door renders and parses."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable

import pytest

from sessiond.domain.errors import InvalidId, InvalidInput
from sessiond.domain.ids import new_id, parse_id, render_canonical, render_hex, render_pxyz

SAMPLE = uuid.UUID("0190f3a2-7b1c-7d2e-8f00-112233445566")


def _unix_ms(value: uuid.UUID) -> int:
    return value.int >> 80


def test_new_id_is_a_version_7_rfc_9562_uuid() -> None:
    for _ in range(200):
        value = new_id()
        assert value.version == 7
        assert value.variant == uuid.RFC_4122


def test_new_id_carries_the_given_milliseconds() -> None:
    assert _unix_ms(new_id(now_ms=1_785_492_672_123)) == 1_785_492_672_123
    assert _unix_ms(new_id(now_ms=0)) == 0


def test_new_id_defaults_to_the_current_time() -> None:
    before = int(time.time() * 1000)
    value = new_id()
    after = int(time.time() * 1000)
    assert before <= _unix_ms(value) <= after


def test_ids_are_ordered_across_milliseconds() -> None:
    start = 1_785_492_672_000
    batches = [[new_id(now_ms=start + ms) for _ in range(50)] for ms in range(20)]
    for earlier, later in itertools.pairwise(batches):
        assert max(earlier) < min(later)
        assert max(v.hex for v in earlier) < min(v.hex for v in later)
    flat = [value for batch in batches for value in batch]
    assert [_unix_ms(value) for value in sorted(flat)] == sorted(map(_unix_ms, flat))


def test_ids_in_one_millisecond_are_still_unique() -> None:
    values = {new_id(now_ms=1_785_492_672_000) for _ in range(5000)}
    assert len(values) == 5000


@pytest.mark.parametrize(
    ("render", "text"),
    [
        (render_canonical, "0190f3a2-7b1c-7d2e-8f00-112233445566"),
        (render_hex, "0190f3a27b1c7d2e8f00112233445566"),
        (render_pxyz, "c0190f3a27b1c7d2e8f00112233445566"),
    ],
)
def test_each_rendering_is_exact_and_parses_back(
    render: Callable[[uuid.UUID], str], text: str
) -> None:
    assert render(SAMPLE) == text
    assert parse_id(text) == SAMPLE


@pytest.mark.parametrize("render", [render_canonical, render_hex, render_pxyz])
def test_new_ids_round_trip_through_every_form(render: Callable[[uuid.UUID], str]) -> None:
    for _ in range(100):
        value = new_id()
        assert parse_id(render(value)) == value


def test_upper_case_hex_is_accepted() -> None:
    assert parse_id(str(SAMPLE).upper()) == SAMPLE
    assert parse_id(SAMPLE.hex.upper()) == SAMPLE


@pytest.mark.parametrize(
    "text",
    [
        "",
        "xyz",
        "c123",
        "0123456789abcdef0123456789abcdef01234567",
        "0190f3a27b1c7d2e8f0011223344556",
        "c0190f3a27b1c7d2e8f001122334455",
        "g190f3a27b1c7d2e8f00112233445566",
        "x0190f3a27b1c7d2e8f00112233445566",
        "cc0190f3a27b1c7d2e8f00112233445566",
        "{0190f3a27b1c7d2e8f00112233445566}",
        "0190f3a2-7b1c-7d2e-8f00-11223344556z",
        "0190f3a2_7b1c_7d2e_8f00_112233445566",
    ],
)
def test_malformed_ids_raise_invalid_id(text: str) -> None:
    with pytest.raises(InvalidId) as caught:
        parse_id(text, what="session_id")
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.field == "session_id"
    assert caught.value.message == f"session_id {text!r} is not a valid id"


@pytest.mark.parametrize(
    "text",
    [
        "urn:0190f3a27b1c7d2e8f00112233445566",
        "0190f3a27b1c7d2e8f00112233445566----",
        "0-1-2-3-0190f3a27b1c7d2e8f0011223344",
        "0190f3a27b1c-7d2e-8f00-112233445566-",
    ],
)
def test_forms_no_door_renders_are_refused(text: str) -> None:
    """Only the canonical, hex and "c" + hex forms are ids; uuid.UUID's leniency is not."""
    with pytest.raises(InvalidId):
        parse_id(text)


def test_a_huge_id_is_refused_with_a_short_message() -> None:
    with pytest.raises(InvalidId) as caught:
        parse_id("a" * 100_000)
    assert len(caught.value.message) < 120
