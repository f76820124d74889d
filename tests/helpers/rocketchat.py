"""Users of the Rocket.Chat door, logging in, and Meteor methods over REST, as its clients do."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pyotp

from sessiond.domain.tenant import Tenant
from sessiond.domain.user import Email, User
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.services.users import NewUser

PASSWORD = "correct horse battery"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/113.0.0.0 Safari/537.36"
)


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


async def call(rc: httpx.AsyncClient, headers: dict[str, str], method: str, *params: Any) -> Any:
    """A Meteor method over REST, as Rocket.Chat's web client sends it; the DDP answer."""
    message = {"msg": "method", "id": "7", "method": method, "params": list(params)}
    answer = await rc.post(
        f"/api/v1/method.call/{method}", json={"message": json.dumps(message)}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["success"] is True
    inner = json.loads(answer.json()["message"])
    assert (inner["msg"], inner["id"]) == ("result", "7")
    return inner


async def enrol_totp(
    rc: httpx.AsyncClient, headers: dict[str, str], clock: FrozenClock
) -> tuple[pyotp.TOTP, list[str]]:
    started = (await call(rc, headers, "2fa:enable"))["result"]
    assert started["url"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(started["secret"])
    wrong = await call(rc, headers, "2fa:validateTempToken", "000000")
    assert wrong["error"]["error"] == "invalid-totp"
    codes = (await call(rc, headers, "2fa:validateTempToken", totp.at(clock.now())))["result"]
    assert len(codes["codes"]) == 12
    clock.advance(timedelta(seconds=30))
    return totp, codes["codes"]
