"""The instant the `clock` fixture starts at, and a monotonic clock that tests move by hand."""

from __future__ import annotations

from datetime import UTC, datetime

START = datetime(2026, 7, 31, 10, 11, 12, 123456, tzinfo=UTC)


class Ticker:
    """A node's monotonic clock (for cache freshness and retry delays): it moves only when a test
    moves it, so a test is not at the mercy of a slow machine."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now
