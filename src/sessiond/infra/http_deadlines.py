"""uvicorn's h11 protocol with deadlines for reading a request, against clients that send slowly
on purpose (slowloris) or stall mid-body.

uvicorn closes a kept-alive connection that stays silent, but any byte a client sends postpones
that, and a new connection has no timer until its first answer. Here a request's head must arrive
whole within the head timeout of the connection opening (or of the previous answer), and its body
within the body timeout of the head; a client slower than that is disconnected. Once the request
is read, the app takes as long as it takes: these bound reading, not answering.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from sessiond.settings import settings_from_environment


@functools.cache
def _deadlines() -> tuple[float, float]:
    settings = settings_from_environment()
    return float(settings.http_head_timeout), float(settings.http_body_timeout)


class DeadlineH11Protocol(H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timeout, self._body_timeout = _deadlines()
        self._deadline: asyncio.TimerHandle | None = None
        self._reading_body = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self._head_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        state = self.conn.their_state
        if state is h11.SEND_BODY and not self._reading_body:
            self._reading_body = True
            self._arm(self._body_timeout)
        elif state is not h11.SEND_BODY and state is not h11.IDLE:
            self._reading_body = False
            self._disarm()  # the request is in (or the connection is done with): no deadline

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._reading_body = False
            self._arm(self._head_timeout)  # the next request's head, on a kept-alive connection

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()
