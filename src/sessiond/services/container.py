from __future__ import annotations

from dataclasses import dataclass

from sessiond.services.auth import AuthService
from sessiond.services.context import Deps
from sessiond.services.flows import FlowService
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
    flows: FlowService

    @classmethod
    def build(cls, deps: Deps) -> Services:
        users = UserService(deps=deps)
        auth = AuthService(deps=deps, users=users)
        sessions = SessionService(deps=deps)
        return cls(
            deps=deps,
            tenants=TenantService(deps=deps),
            users=users,
            auth=auth,
            sessions=sessions,
            flows=FlowService(deps=deps, auth=auth, sessions=sessions),
        )

    async def close(self) -> None:
        await self.deps.store.close()
