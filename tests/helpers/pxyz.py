"""A pxyz tenant with its secret key, the headers each kind of pxyz caller sends, a signed-up user
and the pxyz error body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from sessiond.domain.tenant import Tenant
from sessiond.services.container import Services
from tests.helpers.tenants import unique_slug

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/113.0.0.0 Safari/537.36"
)
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Keyed:
    tenant: Tenant
    key: str

    @property
    def pid(self) -> str:
        return "c" + self.tenant.id.hex

    @property
    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.key}"}

    @property
    def public(self) -> dict[str, str]:
        return {"x-public-key": self.tenant.public_key, "user-agent": CHROME_WINDOWS}


async def keyed_tenant(services: Services) -> Keyed:
    created = await services.tenants.create(slug=unique_slug("pxyz"))
    return Keyed(created.tenant, created.secret_key.raw)


def error_body(response: httpx.Response, status: int) -> dict[str, Any]:
    """The pxyz error body of `response`, which must have `status`."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "error", body
    assert isinstance(body["message"], str), body
    return body


async def signed_up(http: httpx.AsyncClient, tenant: Keyed, username: str) -> dict[str, Any]:
    """Signs a user up through the frontend API; the answer's data, with the cookie cleared."""
    up = {"strategy": "username_password", "username": username, "password": PASSWORD}
    created = await http.post("/api/sign-ups", headers=tenant.public, json=up)
    assert created.status_code == 201, created.text
    http.cookies.clear()
    data: dict[str, Any] = created.json()["data"]
    return data
