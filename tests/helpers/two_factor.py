"""A signed-in user with a verified address, and a mailer that keeps what it would have sent, for
the second-factor services."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sessiond.domain.tenant import Tenant
from sessiond.domain.user import Email
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.sessions import Authenticated
from sessiond.services.sign_in import PasswordSignIn
from sessiond.services.users import NewUser

PASSWORD = "correct horse battery"
CLIENT = Client(user_agent="test agent", ip="192.0.2.1")


@dataclass
class RecordingMailer:
    """In memory: what would have gone out."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, *, to: str, subject: str, text: str) -> None:
        self.sent.append((to, text))

    def last_code(self) -> str:
        return re.findall(r"\d{3}-\d{3}", self.sent[-1][1])[0]


async def signed_in(services: Services, tenant: Tenant, username: str = "alice") -> Authenticated:
    new = NewUser(
        username=username,
        password=PASSWORD,
        emails=(Email(f"{username}@example.test", verified=True),),
    )
    await services.users.create(tenant.id, new)
    result = await services.sign_ins.password(
        PasswordSignIn(tenant.id, identifier=username, password=PASSWORD, client=CLIENT)
    )
    assert result.issued is not None
    return await services.sessions.authenticate(tenant.id, result.issued.token)
