"""The instant the `clock` fixture starts at."""

from __future__ import annotations

from datetime import UTC, datetime

START = datetime(2026, 7, 31, 10, 11, 12, 123456, tzinfo=UTC)
