"""pxyz's cursor pages: `perPage` (a string), `cursor`, and `meta`.

The document declares `cursor` (and `meta.next`/`meta.prev`) as a date-time. A bare instant
cannot page rows created in the same instant without skipping or repeating some, so the cursors
this door hands out are date-times that also carry the server's tie-breaking page token: the
boundary row's time to the microsecond, followed by the token as further fraction digits. They
parse as that instant anywhere RFC 3339 is read; here the extra digits find the exact row.
An instant a client makes up is accepted too: the page then starts strictly past it.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sessiond.domain.errors import InvalidInput, InvalidPageToken
from sessiond.domain.listing import SessionRecord
from sessiond.services.keyset import PageRequest

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100
MAX_CURSOR_LENGTH = 2048
_TOKEN_MARK = 24  # more fraction digits than any clock has: the rest is a page token
_SERVER_CURSOR = re.compile(
    rf"(\d{{4}}-\d{{2}}-\d{{2}}T\d{{2}}:\d{{2}}:\d{{2}})\.(\d{{6}})(\d{{{_TOKEN_MARK},}})Z"
)
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,12})?(?:[Zz]|[+-]\d{2}:\d{2})"
)


@dataclass(frozen=True, slots=True)
class Paging:
    per_page: int
    token: str | None = None
    start_after: datetime | None = None

    def request(self) -> PageRequest:
        return PageRequest(self.per_page, self.token, self.start_after)


def parse_paging(per_page: str | None, cursor: str | None) -> Paging:
    size = _per_page(per_page)
    if cursor is None or cursor == "":
        return Paging(size)
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidPageToken("the cursor is too long", field="cursor")
    found = _SERVER_CURSOR.fullmatch(cursor)
    if found is not None:
        return Paging(size, token=_token(found.group(3)))
    if _INSTANT.fullmatch(cursor):
        return Paging(size, start_after=_instant(cursor))
    raise InvalidInput(
        "cursor must be an RFC 3339 date-time or a cursor from meta.next/meta.prev",
        field="cursor",
    )


def encode_cursor(token: str | None, boundary: datetime) -> str | None:
    if token is None:
        return None
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    digits = str(int.from_bytes(b"\x01" + raw, "big"))
    at = boundary.astimezone(UTC)
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond:06d}{digits}Z"


class Listed(Protocol[T_co]):
    """A page from the core (`keyset.Page`, `SessionPage`)."""

    @property
    def items(self) -> Sequence[T_co]: ...
    @property
    def total(self) -> int: ...
    @property
    def next_token(self) -> str | None: ...
    @property
    def prev_token(self) -> str | None: ...


class Dated(Protocol):
    @property
    def created_at(self) -> datetime: ...


def created_at(item: Dated) -> datetime:
    return item.created_at


def session_created_at(record: SessionRecord) -> datetime:
    return record.session.created_at


def envelope(
    data: list[Any], page: Listed[T], paging: Paging, created_at: Callable[[T], datetime]
) -> dict[str, Any]:
    """pxyz's list body: the rendered items and `meta` with cursors at the page's two ends."""
    items = page.items
    return {
        "status": "success",
        "data": data,
        "meta": meta(
            total=page.total,
            count=len(items),
            per_page=paging.per_page,
            prev=encode_cursor(page.prev_token, created_at(items[0])) if items else None,
            next_=encode_cursor(page.next_token, created_at(items[-1])) if items else None,
        ),
    }


def meta(*, total: int, count: int, per_page: int, prev: str | None, next_: str | None) -> Any:
    return {
        "total": total,
        "count": count,
        "numPages": math.ceil(total / per_page),
        "perPage": per_page,
        "prev": prev,
        "next": next_,
    }


def _per_page(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_PER_PAGE
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PER_PAGE:
        raise InvalidInput(
            f"perPage must be a whole number from 1 to {MAX_PER_PAGE}", field="perPage"
        )
    return int(text)


def _token(digits: str) -> str:
    number = int(digits)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    if not raw or raw[0] != 1:
        raise InvalidPageToken(field="cursor")
    return base64.urlsafe_b64encode(raw[1:]).rstrip(b"=").decode("ascii")


def _instant(text: str) -> datetime:
    head, _, tail = text.partition(".")
    if tail:
        digits = re.match(r"\d+", tail)
        assert digits is not None
        fraction = digits.group()
        text = f"{head}.{fraction[:6].ljust(6, '0')}{tail[len(fraction) :]}"
    try:
        at = datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
        # In UTC here: at the ends of the calendar an offset can push it past year 1 or 9999.
        return at.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidInput("cursor is not a valid date-time", field="cursor") from exc
