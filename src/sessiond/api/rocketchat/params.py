"""Query parameters of the session lists: paging, sort and filter, read the Rocket.Chat way."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sessiond.api.kit import parse_json
from sessiond.api.rocketchat.errors import invalid_params, invalid_sort, invalid_sort_keys
from sessiond.domain.listing import SessionQuery, SessionState, SortField, SortKey

DEFAULT_COUNT = 50
MAX_COUNT = 100
LIST_PARAMS = frozenset({"offset", "count", "filter", "sort"})
SORT_KEYS = {
    "loginAt": SortField.CREATED_AT,
    "device.name": SortField.BROWSER,
    "device.os.name": SortField.OS_NAME,
    "device.os.version": SortField.OS_VERSION,
    "_user.name": SortField.USER_NAME,
    "_user.username": SortField.USERNAME,
}
DEFAULT_SORT = (SortKey(SortField.CREATED_AT, descending=True),)


@dataclass(frozen=True, slots=True)
class ListParams:
    offset: int
    count: int
    text_filter: str | None
    sort: tuple[SortKey, ...]

    def query(self, tenant_id: uuid.UUID, *, user_id: uuid.UUID | None) -> SessionQuery:
        return SessionQuery(
            tenant_id=tenant_id,
            user_id=user_id,
            state=SessionState.LIVE,
            text_filter=self.text_filter,
            filter_user_fields=user_id is None,
            sort=self.sort,
        )


def only(params: Mapping[str, str], allowed: Collection[str]) -> None:
    if any(name not in allowed for name in params):
        raise invalid_params()


def list_params(params: Mapping[str, str]) -> ListParams:
    only(params, LIST_PARAMS)
    offset = _whole(params, "offset", default=0, least=0)
    count = min(_whole(params, "count", default=DEFAULT_COUNT, least=1), MAX_COUNT)
    raw_sort = params.get("sort")
    return ListParams(
        offset=offset,
        count=count,
        text_filter=params.get("filter") or None,
        sort=parse_sort(raw_sort) if raw_sort else DEFAULT_SORT,
    )


def parse_sort(raw: str) -> tuple[SortKey, ...]:
    """`{"loginAt": -1, "device.name": 1}`; other keys, values or shapes are refused."""
    try:
        decoded = parse_json(raw)
    except ValueError as exc:
        raise invalid_sort(raw) from exc
    if not isinstance(decoded, dict) or not all(
        type(value) is int and value in (1, -1) for value in decoded.values()
    ):
        raise invalid_sort(raw)
    if not decoded:
        return DEFAULT_SORT
    if any(key not in SORT_KEYS for key in decoded):
        raise invalid_sort_keys()
    return tuple(SortKey(SORT_KEYS[key], descending=value == -1) for key, value in decoded.items())


def _whole(params: Mapping[str, str], name: str, *, default: int, least: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 9:
        raise invalid_params(f"must have property '{name}' as a whole number")
    value = int(text)
    if value < least:
        raise invalid_params(f"'{name}' must be at least {least}")
    return value
