"""How sessions are asked for: which ones, in what order, one page at a time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sessiond.domain.device import Device
from sessiond.domain.errors import InvalidInput, InvalidSort
from sessiond.domain.session import Session
from sessiond.domain.user import User


class SessionState(StrEnum):
    LIVE = "live"
    ENDED = "ended"
    ALL = "all"


class SortField(StrEnum):
    CREATED_AT = "created_at"
    LAST_ACTIVE_AT = "last_active_at"
    EXPIRES_AT = "expires_at"
    BROWSER = "browser"
    DEVICE_TYPE = "device_type"
    OS_NAME = "os_name"
    OS_VERSION = "os_version"
    USER_NAME = "user_name"
    USERNAME = "username"
    IP = "ip"
    LOCATION = "location"
    ENDS_AT = "ends_at"  # when it ended, or else when it expires


# Keyset pages walk one sort key, then `created_at, id`; its value at the page's edge is carried
# in the page token (`KeysetCursor.lead`).
KEYSET_FIELDS = frozenset(SortField)
_TIME_FIELDS = frozenset(
    {SortField.CREATED_AT, SortField.LAST_ACTIVE_AT, SortField.EXPIRES_AT, SortField.ENDS_AT}
)
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class SortKey:
    field: SortField
    descending: bool = True


NEWEST_FIRST = (SortKey(SortField.CREATED_AT, descending=True),)


@dataclass(frozen=True, slots=True)
class DeviceFilter:
    """Exact parts of the session's device: the browser or app name, the OS name, the kind
    (`domain.device.kind_of`), the country (`domain.device.country_of`) and the IP address."""

    browser: str | None = None
    os: str | None = None
    kind: str | None = None
    country: str | None = None
    ip: str | None = None

    @property
    def by_profile(self) -> bool:
        return bool(self.browser or self.os or self.kind)

    def admits_profile(self, *, browser: str | None, os: str | None, kind: str) -> bool:
        return (
            (not self.browser or browser == self.browser)
            and (not self.os or os == self.os)
            and (not self.kind or kind == self.kind)
        )


@dataclass(frozen=True, slots=True)
class SessionQuery:
    tenant_id: uuid.UUID
    user_id: uuid.UUID | None = None
    state: SessionState = SessionState.LIVE
    text_filter: str | None = None
    filter_user_fields: bool = False
    sort: tuple[SortKey, ...] = NEWEST_FIRST
    exclude_session_id: uuid.UUID | None = None  # "my other sessions"
    device: DeviceFilter = DeviceFilter()

    def __post_init__(self) -> None:
        if not self.sort:
            raise InvalidSort("at least one sort key is needed")
        seen = [key.field for key in self.sort]
        if len(set(seen)) != len(seen):
            raise InvalidSort("a sort key appears twice")


@dataclass(frozen=True, slots=True)
class OffsetPage:
    offset: int = 0
    limit: int = 50

    def __post_init__(self) -> None:
        if self.offset < 0:
            raise InvalidInput("the offset must not be negative", field="offset")
        check_page_size(self.limit)


def check_page_size(size: int) -> None:
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"the page size must be between 1 and {MAX_PAGE_SIZE}", field="size")


@dataclass(frozen=True, slots=True)
class KeysetCursor:
    """A position in `created_at, id` order. Without `id` it is a bare timestamp (pxyz's cursor):
    rows strictly past that instant. `backwards` walks toward the start of the list."""

    created_at: datetime
    id: uuid.UUID | None = None
    backwards: bool = False
    lead: str | datetime | None = None  # the first sort key's value, when it is not `created_at`


@dataclass(frozen=True, slots=True)
class SessionRecord:
    session: Session
    device: Device | None
    user: User


@dataclass(frozen=True, slots=True)
class SessionPage:
    """`total` is 0 and `counted` False when the caller did not ask for the count."""

    items: tuple[SessionRecord, ...]
    total: int
    next_token: str | None = None
    prev_token: str | None = None
    counted: bool = True


@dataclass(frozen=True, slots=True)
class ListedPage:
    """What the store found for one page: the records, the total that match, whether more follow
    in the direction of the scan."""

    records: list[SessionRecord]
    total: int
    has_more: bool
    counted: bool = True


def sort_value(record: SessionRecord, field: SortField) -> str | datetime:
    """A record's value for a sort key, as the store orders it: text missing is ""."""
    session, device, user = record.session, record.device, record.user
    if field in _TIME_FIELDS:
        times = {
            SortField.CREATED_AT: session.created_at,
            SortField.LAST_ACTIVE_AT: session.last_active_at,
            SortField.EXPIRES_AT: session.expires_at,
            SortField.ENDS_AT: session.ended_at or session.expires_at,
        }
        return times[field]
    if field is SortField.USER_NAME:
        return user.name or ""
    if field is SortField.USERNAME:
        return user.username or ""
    if device is None:
        return ""
    agent = device.agent
    texts = {
        SortField.BROWSER: _first_set(agent.app_name, agent.browser_name),
        SortField.DEVICE_TYPE: _first_set(agent.app_kind, agent.device_type),
        SortField.OS_NAME: agent.os_name,
        SortField.OS_VERSION: agent.os_version,
        SortField.IP: device.ip,
        SortField.LOCATION: device.location,
    }
    return texts[field] or ""


def _first_set(first: str | None, second: str | None) -> str | None:
    """SQL's `coalesce`: an empty first value still counts."""
    return first if first is not None else second
