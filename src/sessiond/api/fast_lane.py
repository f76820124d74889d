"""A short way through a door for the hottest reads: the token checks every application behind
sessiond makes on every request.

The endpoint is the door's own (the function its router serves), called with a plain `Request`,
without the framework's routing, dependency and middleware layers, which cost several times what
the check itself does. An error the door has a handler for (a refused token, a bad parameter) is
answered by that handler, in the door's shape. Anything else goes through the door's full stack
as if this lane were not there, so an unexpected fault is logged and answered as the door does;
the endpoints given must therefore be reads (a token check may touch a session, which is
idempotent), since such a request runs twice.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
Handler = Callable[[Request, Any], Response | Awaitable[Response]]


class FastLane:
    def __init__(self, app: FastAPI, *, gets: Mapping[str, Endpoint]) -> None:
        self.app = app
        self.gets = dict(gets)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.gets.get(scope["path"]) if scope["type"] == "http" else None
        if endpoint is not None and scope["method"] == "GET":
            request = Request({**scope, "app": self.app}, receive)
            try:
                response = await endpoint(request)
            except Exception as exc:
                handler = self._handler_for(exc)
                if handler is None:
                    await self.app(scope, receive, send)
                    return
                answer = handler(request, exc)
                response = await answer if inspect.isawaitable(answer) else answer
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _handler_for(self, exc: Exception) -> Handler | None:
        """The door's handler for this error, as its exception middleware would pick it; none
        for the last-resort `Exception` handler, which only the full stack runs (and logs)."""
        handlers: dict[Any, Handler] = self.app.exception_handlers
        for kind in type(exc).__mro__:
            if kind is Exception:
                return None
            if kind in handlers:
                return handlers[kind]
        return None
