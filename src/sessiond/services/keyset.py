"""Page tokens for lists walked newest first by `created_at, id` (attempts, users).

A token carries the boundary row (and, for a list sorted by another key first, that key's value
there) and the direction, and is bound to one list (its kind and
scope: a tenant, or for sessions a fingerprint of the whole query) so it cannot page another.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from sessiond.domain.errors import InvalidInput, InvalidPageToken
from sessiond.domain.ids import parse_id
from sessiond.domain.listing import KeysetCursor, check_page_size
from sessiond.infra.pagetoken import PageTokenCodec, PageTokenValue

T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    total: int
    next_token: str | None = None
    prev_token: str | None = None


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Where a page starts: a token this server handed out, or a bare instant (strictly past)."""

    size: int
    token: str | None = None
    start_after: datetime | None = None

    def __post_init__(self) -> None:
        check_page_size(self.size)
        if self.start_after is not None and self.start_after.tzinfo is None:
            raise InvalidInput("the cursor needs a time zone", field="cursor")


class KeysetTokens:
    def __init__(self, codec: PageTokenCodec, *, kind: str, scope: uuid.UUID | str) -> None:
        self._codec = codec
        label = scope.hex if isinstance(scope, uuid.UUID) else scope
        self._list = hashlib.sha256(f"{kind}:{label}".encode()).hexdigest()[:16]

    def cursor(self, request: PageRequest) -> KeysetCursor | None:
        if request.token is not None:
            return self._decode(request.token)
        if request.start_after is not None:
            return KeysetCursor(created_at=request.start_after)
        return None

    def page(
        self,
        items: list[T],
        total: int,
        has_more: bool,
        cursor: KeysetCursor | None,
        key: Callable[[T], tuple[datetime, uuid.UUID]],
        lead: Callable[[T], str | datetime] | None = None,
    ) -> Page[T]:
        """`lead`: an item's value for the list's first sort key, when that is not `created_at`."""
        backwards = cursor is not None and cursor.backwards

        def token(item: T, backwards: bool) -> str:
            return self._encode(*key(item), backwards, None if lead is None else lead(item))

        has_next = has_more if not backwards else True
        has_prev = has_more if backwards else cursor is not None
        next_token = token(items[-1], False) if items and has_next else None
        prev_token = token(items[0], True) if items and has_prev else None
        return Page(tuple(items), total, next_token, prev_token)

    def _encode(
        self, created_at: datetime, row_id: uuid.UUID, backwards: bool, lead: str | datetime | None
    ) -> str:
        payload: dict[str, PageTokenValue] = {
            "t": _micros(created_at),
            "i": row_id.hex,
            "b": 1 if backwards else 0,
            "q": self._list,
        }
        if isinstance(lead, datetime):
            payload["w"] = _micros(lead)
        elif lead is not None:
            payload["v"] = lead
        return self._codec.encode(payload)

    def _decode(self, token: str) -> KeysetCursor:
        payload = self._codec.decode(token)
        stamp, ident, back = payload.get("t"), payload.get("i"), payload.get("b")
        if (
            payload.get("q") != self._list
            or not isinstance(stamp, int)
            or not isinstance(ident, str)
            or back not in (0, 1)
        ):
            raise InvalidPageToken()
        return KeysetCursor(
            created_at=_EPOCH + timedelta(microseconds=stamp),
            id=parse_id(ident),
            backwards=back == 1,
            lead=_lead(payload),
        )


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _lead(payload: dict[str, PageTokenValue]) -> str | datetime | None:
    text, stamp = payload.get("v"), payload.get("w")
    if isinstance(text, str):
        return text
    if isinstance(stamp, int):
        return _EPOCH + timedelta(microseconds=stamp)
    if text is not None or stamp is not None:
        raise InvalidPageToken()
    return None
