"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import email
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.helpers.live import free_port

_CODE = re.compile(r"\b(\d{3}-\d{3})\b")


@dataclass
class Inbox:
    """What a real SMTP server on loopback received."""

    url: str
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        with self.lock:
            self.messages.append(email.message_from_bytes(raw))
        return "250 OK"

    def codes_for(self, address: str) -> list[str]:
        with self.lock:
            found = [m for m in self.messages if m["To"] == address]
        return [_CODE.findall(str(m.get_payload()))[0] for m in found]

    def last_code(self, address: str) -> str:
        codes = self.codes_for(address)
        assert codes, f"no code was mailed to {address}"
        return codes[-1]


@contextmanager
def smtp_inbox() -> Iterator[Inbox]:
    port = free_port()
    box = Inbox(url=f"smtp://127.0.0.1:{port}?from=sessiond%40example.test")
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
