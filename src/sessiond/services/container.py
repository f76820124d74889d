from __future__ import annotations

from dataclasses import dataclass

from sessiond.services.auth import AuthService
from sessiond.services.context import Deps
from sessiond.services.sessions import SessionService
from sessiond.services.tenants import TenantService
from sessiond.services.users import UserService


@dataclass(frozen=True, slots=True)
class Services:
    deps: Deps
    tenants: TenantService
    users: UserService
    auth: AuthService
    sessions: SessionService

    @classmethod
    def build(cls, deps: Deps) -> Services:
        users = UserService(deps=deps)
        return cls(
            deps=deps,
            tenants=TenantService(deps=deps),
            users=users,
            auth=AuthService(deps=deps, users=users),
            sessions=SessionService(deps=deps),
        )

    async def close(self) -> None:
        await self.deps.store.close()
