"""A short way through a door for its hottest endpoints: the token checks every application behind
sessiond makes on every request, and the password sign-ins.

The endpoint is the door's own (the function its router serves, which takes the plain `Request`
and reads the body itself), called without the framework's routing, dependency and middleware
layers, which cost several times what a token check itself does. Any other method or path goes
through the door's full stack. An error is answered as that stack would answer it: by the door's
handler for its kind (a refused token, a bad parameter, a body too large), else by the door's
last-resort handler, its 500, after which the error is raised again, so that the dispatcher logs
the fault once, as it does for every other route.
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
    def __init__(self, app: FastAPI, *, routes: Mapping[tuple[str, str], Endpoint]) -> None:
        """`routes` maps (method, path) to the door's endpoint for it."""
        self.app = app
        self.routes = dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        endpoint = self.routes.get((scope["method"], scope["path"]))
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        scope["app"] = self.app  # as the app itself would set it; the request id stays shared
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except Exception as exc:
            handler = self._handler_for(exc)
            last_resort = handler is None
            handler = handler or self.app.exception_handlers.get(Exception)
            if handler is None:
                raise
            answer = handler(request, exc)
            response = await answer if inspect.isawaitable(answer) else answer
            await response(scope, receive, send)
            if last_resort:
                raise
            return
        await response(scope, receive, send)

    def _handler_for(self, exc: Exception) -> Handler | None:
        """The door's handler for this error, as its exception middleware would pick it; none
        for the last-resort `Exception` handler."""
        handlers: dict[Any, Handler] = self.app.exception_handlers
        for kind in type(exc).__mro__:
            if kind is Exception:
                return None
            if kind in handlers:
                return handlers[kind]
        return None
