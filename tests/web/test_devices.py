"""What the pages say about a session's device and times, without a database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sessiond.domain.device import Device, UserAgentInfo
from sessiond.web.devices import ago, device_kind, utc_title

NOW = datetime(2026, 7, 31, 10, 0, tzinfo=UTC)


def _device(**parts: str) -> Device:
    return Device(uuid.uuid4(), UserAgentInfo(raw="ua", **parts), "192.0.2.1", "", NOW)


@pytest.mark.parametrize(
    ("parts", "kind"),
    [
        ({}, "desktop"),
        ({"device_type": "mobile"}, "phone"),
        ({"device_type": "tablet"}, "tablet"),
        ({"device_type": "bot"}, "bot"),
        ({"device_type": "smarttv"}, "desktop"),
        ({"device_type": "mobile", "app_kind": "mobile-app"}, "app"),
        ({"app_kind": "desktop-app"}, "app"),
    ],
)
def test_each_device_gets_one_of_five_kinds(parts: dict[str, str], kind: str) -> None:
    assert device_kind(_device(**parts)) == kind


def test_a_session_without_a_device_counts_as_a_computer() -> None:
    assert device_kind(None) == "desktop"


@pytest.mark.parametrize(
    ("before", "said"),
    [
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=3, seconds=40), "3 minutes ago"),
        (timedelta(hours=2), "2 hours ago"),
        (timedelta(days=1, hours=5), "1 day ago"),
    ],
)
def test_last_active_is_said_in_words(before: timedelta, said: str) -> None:
    assert ago(NOW - before, now=NOW) == said


def test_the_exact_time_is_utc() -> None:
    offset = datetime(2026, 7, 31, 12, 0, 5, tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    assert utc_title(offset) == "2026-07-31 12:00:05 UTC"
