"""What the console's sessions table shows: its filter and sort, read from a query string or a
posted form, written back into links and hidden fields, and turned into a `SessionQuery`."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from urllib.parse import urlencode

from sessiond.domain.device import DEVICE_KINDS
from sessiond.domain.listing import DeviceFilter, SessionQuery, SessionState, SortField, SortKey

MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    field: SortField


COLUMNS = (
    Column("user", "User", SortField.USERNAME),
    Column("device", "Device", SortField.DEVICE_TYPE),
    Column("browser", "Browser", SortField.BROWSER),
    Column("os", "OS", SortField.OS_NAME),
    Column("ip", "IP", SortField.IP),
    Column("location", "Location", SortField.LOCATION),
    Column("signed_in", "Signed in", SortField.CREATED_AT),
    Column("last_active", "Last active", SortField.LAST_ACTIVE_AT),
    Column("state", "State", SortField.ENDS_AT),
)
_BY_KEY = {column.key: column for column in COLUMNS}
STATES = {SessionState.LIVE: "Live", SessionState.ENDED: "Ended", SessionState.ALL: "All"}


@dataclass(frozen=True, slots=True)
class ListFilter:
    """Field names are the form's; empty means "any"."""

    user: str = ""
    browser: str = ""
    os: str = ""
    kind: str = ""
    country: str = ""
    ip: str = ""
    q: str = ""
    state: str = SessionState.LIVE.value
    sort: str = "signed_in"
    dir: str = "desc"

    @classmethod
    def read(cls, given: Mapping[str, str]) -> ListFilter:
        """Unknown values fall back to the defaults; text is trimmed and capped."""
        values = {f.name: given.get(f.name, "").strip()[:MAX_TEXT] for f in fields(cls)}
        read = cls(**{name: value for name, value in values.items() if value})
        if read.state not in {state.value for state in STATES}:
            read = replace(read, state=SessionState.LIVE.value)
        if read.sort not in _BY_KEY:
            read = replace(read, sort="signed_in")
        if read.dir not in {"asc", "desc"}:
            read = replace(read, dir="desc")
        if read.kind not in DEVICE_KINDS:
            read = replace(read, kind="")
        return read

    def pairs(self, **changes: str) -> list[tuple[str, str]]:
        """The fields that differ from the defaults, for links and hidden inputs."""
        changed = replace(self, **changes)
        default = ListFilter()
        return [
            (f.name, getattr(changed, f.name))
            for f in fields(self)
            if getattr(changed, f.name) != getattr(default, f.name)
        ]

    def link(self, **changes: str) -> str:
        return urlencode(self.pairs(**changes))

    def sort_link(self, key: str) -> str:
        """The column sorted, or reversed when it is the sorted one already."""
        if key == self.sort:
            return self.link(dir="asc" if self.dir == "desc" else "desc")
        return self.link(sort=key, dir="desc")

    def aria_sort(self, key: str) -> str:
        if key != self.sort:
            return "none"
        return "descending" if self.dir == "desc" else "ascending"

    @property
    def session_state(self) -> SessionState:
        return SessionState(self.state)

    @property
    def filtered(self) -> bool:
        return any((self.user, self.browser, self.os, self.kind, self.country, self.ip, self.q))

    def query(self, tenant_id: uuid.UUID, *, user_id: uuid.UUID | None) -> SessionQuery:
        """`user_id`: the user the `user` field names, found by the caller."""
        device = DeviceFilter(
            browser=self.browser or None,
            os=self.os or None,
            kind=self.kind or None,
            country=self.country or None,
            ip=self.ip or None,
        )
        return SessionQuery(
            tenant_id,
            user_id=user_id,
            state=self.session_state,
            text_filter=re.escape(self.q) if self.q else None,
            filter_user_fields=True,
            sort=(SortKey(_BY_KEY[self.sort].field, descending=self.dir == "desc"),),
            device=device,
        )
