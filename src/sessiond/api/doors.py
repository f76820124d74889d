"""Front doors as sub-applications, and the dispatcher that hands each request to its door.

Each door is its own ASGI app with its own routes, wire schemas and error bodies. The root app hands
a request to the door that owns the longest matching path prefix, unchanged (no prefix stripping:
Kratos owns `/admin/...` and `/sessions/...` alike and must tell them apart).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sessiond.api.errors import REQUEST_ID_HEADER, log_fault, request_id
from sessiond.infra.logs import REQUEST_ID
from sessiond.services.audit import ACTOR


@dataclass(frozen=True, slots=True)
class Door:
    name: str
    prefixes: tuple[str, ...]
    app: ASGIApp
    # A door may read less than the dispatcher's limit (Rocket.Chat: 64 KiB); None keeps it.
    max_body_bytes: int | None = None
    # The door's 500, for a fault that escaped before the door could answer.
    fault: Callable[[], Response] | None = None

    def owns(self, path: str) -> int:
        """The length of the longest prefix of this door that `path` falls under, else 0."""
        best = 0
        for prefix in self.prefixes:
            bare = prefix.rstrip("/")
            if (path == bare or path.startswith(bare + "/")) and len(bare) > best:
                best = len(bare)
        return best


MAX_BODY_BYTES = 1024 * 1024
log = logging.getLogger("sessiond.api")


class BodyTooLarge(HTTPException):
    """Raised while a door reads a request body past the limit; every door renders HTTP errors in
    its own shape, so the client gets a 413 it can read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit


class DoorDispatch:
    """Routes HTTP requests to the door owning the path; everything else (lifespan, /healthz,
    paths no door owns) goes to `fallback`. A door reads at most its own `max_body_bytes` of a body,
    else the dispatcher's: a
    larger declared length fails on the first read, a larger stream as soon as it passes the limit,
    so no body is held in memory whole before it is refused."""

    def __init__(
        self, *, fallback: ASGIApp, doors: list[Door], max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.fallback = fallback
        self.doors = doors
        self.max_body_bytes = max_body_bytes
        self.door_for = functools.lru_cache(maxsize=4096)(self._door_for)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            door = self.door_for(scope["path"]) if scope["type"] == "websocket" else None
            if door is not None:
                await _guarded(door, scope, receive, send)
            else:
                await self.fallback(scope, receive, send)
            return
        # Every answer carries the request's id, and every line logged while serving it names it.
        identity = request_id(scope)
        serving = REQUEST_ID.set(identity)
        anonymous = ACTOR.set(None)  # a door that authenticates an administrator says so
        try:
            send = _with_request_id(send, identity)
            door = self.door_for(scope["path"])
            if door is None:
                await self.fallback(scope, receive, send)
                return
            receive = _bounded(scope, receive, door.max_body_bytes or self.max_body_bytes)
            await _guarded(door, scope, receive, send)
        finally:
            ACTOR.reset(anonymous)
            REQUEST_ID.reset(serving)

    def _door_for(self, path: str) -> Door | None:
        ranked = [(door.owns(path), door) for door in self.doors]
        best = max(ranked, key=lambda pair: pair[0], default=(0, None))
        return best[1] if best[0] else None


def _with_request_id(send: Send, identity: str) -> Send:
    """Every answer, the doors' 500s included, carries the request id from here alone."""
    header = (REQUEST_ID_HEADER.lower().encode("latin-1"), identity.encode("latin-1"))

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), header]}
        await send(message)

    return sending


async def _guarded(door: Door, scope: Scope, receive: Receive, send: Send) -> None:
    """Runs the door; a fault that escapes it is logged here, once (see `api/errors.py`). The
    door has answered its own 500 by then, unless the answer had not begun."""
    started = False

    async def watched(message: Message) -> None:
        nonlocal started
        started = True
        await send(message)

    try:
        await door.app(scope, receive, watched)
    except ClientDisconnect:
        log.info("%s: the client went away before its request was read", door.name)
    except Exception as exc:
        log_fault(door.name, scope, exc)
        if not started and door.fault is not None and scope["type"] == "http":
            await door.fault()(scope, receive, send)


def _bounded(scope: Scope, receive: Receive, limit: int) -> Receive:
    declared = _content_length(scope)
    seen = 0

    async def bounded() -> Message:
        nonlocal seen
        if declared is not None and declared > limit:
            raise BodyTooLarge(limit)
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return bounded


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
