"""A webhook receiver on loopback: a real HTTP server (http.server, on a thread) that keeps every
message it is sent, verifies nothing itself, and can go down and come back on the same port."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from standardwebhooks import Webhook

from tests.helpers.live import free_port

WAIT = 20.0


@dataclass(frozen=True, slots=True)
class Message:
    headers: dict[str, str]
    body: bytes

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    def verified(self, secret: str) -> Any:
        """The payload, if the signature is the secret's (`WebhookVerificationError` if not)."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """`answer` decides each reply's status; `hold` (while set) keeps a reply waiting."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.messages: list[Message] = []
        self.answer: Callable[[Message], int] = lambda _m: 204
        self.hold = threading.Event()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                message = Message(
                    {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
                )
                with receiver._lock:
                    receiver.messages.append(message)
                while receiver.hold.is_set():
                    time.sleep(0.02)
                self.send_response(receiver.answer(message))
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Down: the port refuses connections until `start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def received(self) -> list[Message]:
        with self._lock:
            return list(self.messages)

    def wait_for(
        self, done: Callable[[list[Message]], bool], *, within: float = WAIT
    ) -> list[Message]:
        """For tests whose sender is another process."""
        return asyncio.run(self.arrived(done, within=within))

    async def arrived(
        self, done: Callable[[list[Message]], bool], *, within: float = WAIT
    ) -> list[Message]:
        """For tests whose sender runs on their own event loop."""
        deadline = time.monotonic() + within
        while not done(got := self.received()):
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver did not get what was awaited: {got}")
            await asyncio.sleep(0.02)
        return got


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.hold.clear()
        receiver.stop()
