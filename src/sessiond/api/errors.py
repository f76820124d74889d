"""How every door turns a failure into an answer, and what it logs.

- A domain error (`SessiondError`) is answered through the door's `ErrorTable`: one entry per
  kind of domain error, so each is answered on purpose (a test holds every table to every kind).
- A database outage is also logged, once, at WARNING, with the request id.
- Anything else is a fault: the door answers its own 500 and `DoorDispatch` logs the traceback
  once, at ERROR, with the request id. The id is the caller's `X-Request-Id` when it sends a
  plain one, else a new one, and the 500 carries it back in the same header.

Nothing here logs a request's headers or body, so no token, password or key reaches the log.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from starlette.requests import Request
from starlette.types import Scope

from sessiond.domain.errors import SessiondError, StorageUnavailable, TooManyGuesses

log = logging.getLogger("sessiond.api")

W = TypeVar("W")
REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID_KEY = "sessiond.request_id"
_PLAIN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id(scope: Scope) -> str:
    """The request's id, made once per request."""
    known: str | None = scope.get(_REQUEST_ID_KEY)
    if known is None:
        sent = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), b"")
        text = sent.decode("latin-1")
        known = text if _PLAIN_ID.fullmatch(text) else secrets.token_hex(16)
        scope[_REQUEST_ID_KEY] = known
    return known


class ErrorTable(Generic[W]):
    """A door's answer to each kind of domain error. The most specific kind listed wins."""

    def __init__(
        self, door: str, entries: Mapping[type[SessiondError], Callable[[Any], W]]
    ) -> None:
        self.door = door
        self.entries = dict(entries)

    def answer(self, request: Request, exc: SessiondError) -> W:
        if isinstance(exc, StorageUnavailable):
            log.warning("%s: %s [request %s]", self.door, exc.message, request_id(request.scope))
        for kind in type(exc).__mro__:
            entry = self.entries.get(kind)
            if entry is not None:
                return entry(exc)
        raise TypeError(f"the {self.door} door has no answer for {type(exc).__name__}")


def retry_after(exc: TooManyGuesses) -> dict[str, str]:
    """The header every door's 429 carries."""
    return {"Retry-After": str(exc.retry_after)}


def log_fault(door: str, scope: Scope, exc: BaseException) -> None:
    """A fault a door answered with its 500 (or could not answer at all)."""
    log.error(
        "%s: unexpected error on %s %s [request %s]",
        door,
        scope.get("method", ""),
        scope.get("path", ""),
        request_id(scope),
        exc_info=exc,
    )
