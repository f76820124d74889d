"""Fixtures of the Rocket.Chat door: the app in process over a tenant of its own, a real SMTP
server on loopback that keeps what it receives, and users to log in as."""

from __future__ import annotations

import email
import re
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from sessiond.domain.tenant import Tenant
from sessiond.domain.user import Email, User
from sessiond.services.container import Services
from sessiond.services.users import NewUser
from sessiond.settings import Settings
from tests.asgi import app_client
from tests.conftest import unique_slug
from tests.live import free_port

PASSWORD = "correct horse battery"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/113.0.0.0 Safari/537.36"
)
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


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    port = free_port()
    box = Inbox(url=f"smtp://127.0.0.1:{port}?from=sessiond%40example.test")
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
async def rc_tenant(services: Services) -> Tenant:
    return (await services.tenants.create(slug=unique_slug("rc"))).tenant


@pytest.fixture
def settings(settings: Settings, inbox: Inbox) -> Settings:
    """Services that mail second-factor codes to the SMTP server on loopback."""
    return replace(settings, smtp_url=inbox.url)


@pytest.fixture
def rc_settings(settings: Settings, rc_tenant: Tenant) -> Settings:
    return replace(settings, rocketchat_tenant=rc_tenant.slug)


@pytest.fixture
async def rc(rc_settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(rc_settings, services) as http:
        http.headers["user-agent"] = CHROME
        yield http


async def make_user(
    services: Services,
    tenant: Tenant,
    username: str,
    *,
    roles: tuple[str, ...] = ("user",),
    name: str = "",
    email_address: str | None = None,
) -> User:
    emails = (Email(email_address, verified=True),) if email_address else ()
    new = NewUser(username=username, password=PASSWORD, name=name, roles=roles, emails=emails)
    return await services.users.create(tenant.id, new)


async def login(
    http: httpx.AsyncClient, username: str, *, user_agent: str = CHROME, **extra: Any
) -> dict[str, str]:
    """Logs in and returns the auth headers of the new session."""
    body = {"username": username, "password": PASSWORD, **extra}
    answer = await http.post("/api/v1/login", json=body, headers={"user-agent": user_agent})
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    return {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}
