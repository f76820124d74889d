"""The Kratos door in process on a tenant of its own: its client, services, tenant and secret key,
with users to sign in as."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from sessiond.domain.tenant import Tenant
from sessiond.domain.user import Email
from sessiond.services.container import Services
from sessiond.services.users import NewUser

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True, slots=True)
class Door:
    http: httpx.AsyncClient
    services: Services
    tenant: Tenant
    key: str

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    async def user(self, name: str = "ada") -> str:
        new = NewUser(
            username=name,
            emails=(Email(f"{name}@example.com"),),
            password=PASSWORD,
            traits={"email": f"{name}@example.com", "username": name},
        )
        return str((await self.services.users.create(self.tenant.id, new)).id)

    async def login(self, identifier: str = "ada", password: str = PASSWORD) -> dict[str, Any]:
        flow = (await self.http.get("/self-service/login/api")).json()
        body = {"method": "password", "identifier": identifier, "password": password}
        response = await self.http.post(f"/self-service/login?flow={flow['id']}", json=body)
        assert response.status_code == 200, response.text
        done: dict[str, Any] = response.json()
        return done
