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


KEYSET_FIELDS = frozenset({SortField.CREATED_AT})
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class SortKey:
    field: SortField
    descending: bool = True


NEWEST_FIRST = (SortKey(SortField.CREATED_AT, descending=True),)


@dataclass(frozen=True, slots=True)
class SessionQuery:
    tenant_id: uuid.UUID
    user_id: uuid.UUID | None = None
    state: SessionState = SessionState.LIVE
    text_filter: str | None = None
    filter_user_fields: bool = False
    sort: tuple[SortKey, ...] = NEWEST_FIRST
    exclude_session_id: uuid.UUID | None = None  # "my other sessions"

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


@dataclass(frozen=True, slots=True)
class SessionRecord:
    session: Session
    device: Device | None
    user: User


@dataclass(frozen=True, slots=True)
class SessionPage:
    items: tuple[SessionRecord, ...]
    total: int
    next_token: str | None = None
    prev_token: str | None = None


@dataclass(frozen=True, slots=True)
class ListedPage:
    """What the store found for one page: the records, the total that match, whether more follow
    in the direction of the scan."""

    records: list[SessionRecord]
    total: int
    has_more: bool
