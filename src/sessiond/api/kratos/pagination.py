"""Kratos's pagination on the wire: offset pages (legacy `page`/`per_page` or `page_token`/
`page_size`) with `Link` and `X-Total-Count`, and keyset pages with `Link` only.

The offset token is Kratos's own, base64url of `{"offset":"N","v":2}`; unlike Kratos, a token that
does not decode is refused rather than read as the first page, and `next` really is the next page.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import orjson
from starlette.datastructures import QueryParams
from starlette.responses import Response

from sessiond.api.kit import parse_json
from sessiond.api.kratos.errors import KratosError
from sessiond.api.openapi import INTEGER, STRING, Schema
from sessiond.domain.errors import InvalidPageToken

DEFAULT_SIZE = 250
MAX_SIZE = 1000
MAX_OFFSET = 2**31 - 1  # far past any list, and inside every backend's integer range
MAX_TOKEN_LENGTH = 64  # the longest token this door writes (for MAX_OFFSET) has 39 characters
_PAGING_KEYS = ("page", "per_page", "page_size", "page_token")
# The query parameters of each kind of page, for the OpenAPI document.
OFFSET_QUERY: dict[str, Schema] = {
    "page": INTEGER,
    "per_page": INTEGER,
    "page_size": INTEGER,
    "page_token": STRING,
}
KEYSET_QUERY: dict[str, Schema] = {"page_size": INTEGER, "page_token": STRING}


@dataclass(frozen=True, slots=True)
class OffsetRequest:
    offset: int
    size: int


def _integer(query: QueryParams, name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise KratosError(400, reason=f"could not parse parameter {name}") from None


def _clamped(size: int) -> int:
    return min(max(size, 1), MAX_SIZE)


def page_size(query: QueryParams, name: str = "page_size") -> int:
    """A page size from the query: an integer, clamped to 1..MAX_SIZE like Kratos does."""
    return _clamped(_integer(query, name, DEFAULT_SIZE))


def encode_offset(offset: int) -> str:
    raw = orjson.dumps({"offset": str(offset), "v": 2})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_offset(token: str) -> int:
    """The offset of a token this door wrote: `{"offset":"N","v":2}` with N decimal digits."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidPageToken()
    try:
        payload = parse_json(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidPageToken() from None
    if not isinstance(payload, dict) or payload.get("v") != 2:
        raise InvalidPageToken()
    raw = payload.get("offset")
    if not isinstance(raw, str) or not _digits(raw):
        raise InvalidPageToken()
    offset = int(raw)
    if offset > MAX_OFFSET:
        raise InvalidPageToken()
    return offset


def _digits(raw: str) -> bool:
    return 0 < len(raw) <= len(str(MAX_OFFSET)) and raw.isascii() and raw.isdigit()


def parse_offset(query: QueryParams) -> OffsetRequest:
    if "page_token" in query or "page_size" in query:
        size = page_size(query)
        token = query.get("page_token") or ""
        return OffsetRequest(decode_offset(token) if token else 0, size)
    page = _integer(query, "page", 0)
    size = page_size(query, "per_page")
    if not 0 <= page * size <= MAX_OFFSET:
        raise KratosError(400, reason=f"page must be between 0 and {MAX_OFFSET // size}")
    return OffsetRequest(page * size, size)


def _link(path: str, query: QueryParams, changes: Mapping[str, str], rel: str) -> str:
    kept = [(k, v) for k, v in query.multi_items() if k not in _PAGING_KEYS and k not in changes]
    items = sorted([*kept, *changes.items()])
    return f'<{path}?{urlencode(items)}>; rel="{rel}"'


def _offset_changes(offset: int, size: int) -> dict[str, str]:
    return {
        "page": str(offset // size),
        "page_size": str(size),
        "page_token": encode_offset(offset),
        "per_page": str(size),
    }


def offset_links(path: str, query: QueryParams, request: OffsetRequest, total: int) -> str:
    offset, size = request.offset, request.size
    last = max(total - 1, 0) // size * size
    rels: list[tuple[str, int]] = []
    if total <= size:
        rels = [("first", 0)]
    elif offset == 0:
        rels = [("next", size), ("last", last)]
    elif offset + size >= total:
        rels = [("first", 0), ("prev", max(offset - size, 0))]
    else:
        rels = [("first", 0), ("next", offset + size), ("prev", max(offset - size, 0))]
        rels.append(("last", last))
    return ",".join(_link(path, query, _offset_changes(at, size), rel) for rel, at in rels)


def keyset_links(path: str, query: QueryParams, size: int, next_token: str | None) -> str:
    links = [_link(path, query, {"page_size": str(size)}, "first")]
    if next_token is not None:
        links.append(_link(path, query, {"page_size": str(size), "page_token": next_token}, "next"))
    return ",".join(links)


def set_paging_headers(response: Response, *, link: str, total: int | None = None) -> None:
    """One `Link` line and `X-Total-Count`, in exactly that case: the SDK reads headers from a
    case-sensitive dict, and Starlette lowercases names given through `headers=`."""
    response.raw_headers.append((b"Link", link.encode("latin-1")))
    if total is not None:
        response.raw_headers.append((b"X-Total-Count", str(total).encode()))
