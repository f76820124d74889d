"""Sign-up with a password: the user and its first session in one unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sessiond.domain.attempts import SignUpAttempt, SignUpStatus, Strategy
from sessiond.domain.errors import InvalidInput
from sessiond.domain.ids import new_id
from sessiond.domain.session import AAL, AuthMethod
from sessiond.domain.user import User
from sessiond.services.context import DEFAULT_TOKEN_FORMAT, Client, Deps, TokenFormat
from sessiond.services.issuing import Grant, Issue, IssuedSession, issue_for, issue_session
from sessiond.services.sign_in import DoorStep
from sessiond.services.tenants import known_tenant
from sessiond.services.users import NewUser, UserService, add_user


@dataclass(frozen=True, slots=True)
class SignUpResult:
    attempt: SignUpAttempt
    user: User
    issued: IssuedSession


class SignUpService:
    def __init__(self, *, deps: Deps, users: UserService) -> None:
        self._deps = deps
        self._users = users

    async def sign_up_password(
        self,
        tenant_id: uuid.UUID,
        new: NewUser,
        *,
        client: Client,
        strategy: Strategy = Strategy.USERNAME_PASSWORD,
        token_format: TokenFormat = DEFAULT_TOKEN_FORMAT,
        door_step: DoorStep | None = None,
    ) -> SignUpResult:
        """Creates the user and its first session in one transaction; `door_step` runs in it
        (Kratos consumes its registration flow there)."""
        if new.password is None:
            raise InvalidInput("a password is required", field="password")
        _check_sign_up_identifier(strategy, new)
        user = await self._users.build(tenant_id, new)
        issue = await issue_for(self._deps, client, token_format)
        now = self._deps.clock.now()
        attempt = _sign_up_attempt(user, strategy, issue, now=now)
        methods = (AuthMethod("password", AAL.AAL1, now),)
        tenant = await known_tenant(self._deps, tenant_id)
        async with self._deps.store.unit_of_work() as uow:
            if door_step is not None:
                await door_step(uow)
            await add_user(uow, user)
            await uow.sign_ups.add(attempt)
            issued = await issue_session(
                uow,
                deps=self._deps,
                tenant=tenant,
                user=user,
                grant=Grant(AAL.AAL1, methods, sign_up_attempt_id=attempt.id),
                issue=issue,
                evict=[],
            )
            await uow.commit()
        return SignUpResult(attempt, user, issued)


def _sign_up_attempt(
    user: User, strategy: Strategy, issue: Issue, *, now: datetime
) -> SignUpAttempt:
    return SignUpAttempt(
        id=new_id(),
        tenant_id=user.tenant_id,
        strategy=strategy,
        status=SignUpStatus.COMPLETE,
        created_at=now,
        updated_at=now,
        user_id=user.id,
        ip=issue.client.ip,
        user_agent=issue.agent.raw,
    )


def _check_sign_up_identifier(strategy: Strategy, new: NewUser) -> None:
    """A password strategy names the identifier the user signs in with: it must be there."""
    if strategy is Strategy.USERNAME_PASSWORD and new.username is None:
        raise InvalidInput("username_password needs a username", field="username")
    if strategy is Strategy.EMAIL_PASSWORD and not new.emails:
        raise InvalidInput("email_password needs an email address", field="email")
