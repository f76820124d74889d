from __future__ import annotations

from dataclasses import dataclass

from sessiond.services.attempts import AttemptService
from sessiond.services.auth import AuthService
from sessiond.services.context import Deps
from sessiond.services.flows import FlowService
from sessiond.services.owners import OwnerService
from sessiond.services.providers import ProviderService
from sessiond.services.sessions import SessionService
from sessiond.services.signing import TenantSigner
from sessiond.services.staged_sign_in import StagedSignIn
from sessiond.services.stats import StatsService
from sessiond.services.tenants import TenantService
from sessiond.services.token_checks import CacheFeed
from sessiond.services.users import UserService


@dataclass(frozen=True, slots=True)
class Services:
    deps: Deps
    tenants: TenantService
    users: UserService
    auth: AuthService
    sessions: SessionService
    attempts: AttemptService
    providers: ProviderService
    stats: StatsService
    signer: TenantSigner
    owners: OwnerService
    staged: StagedSignIn
    flows: FlowService
    feed: CacheFeed

    @classmethod
    def build(cls, deps: Deps, *, feed: CacheFeed) -> Services:
        users = UserService(deps=deps)
        auth = AuthService(deps=deps, users=users)
        sessions = SessionService(deps=deps)
        return cls(
            deps=deps,
            tenants=TenantService(deps=deps),
            users=users,
            auth=auth,
            sessions=sessions,
            attempts=AttemptService(deps=deps),
            providers=ProviderService(deps=deps),
            stats=StatsService(deps=deps),
            signer=TenantSigner(deps=deps),
            owners=OwnerService(deps=deps),
            staged=StagedSignIn(deps=deps, auth=auth),
            flows=FlowService(deps=deps, auth=auth, sessions=sessions),
            feed=feed,
        )

    async def close(self) -> None:
        await self.feed.stop()
        await self.deps.store.close()
