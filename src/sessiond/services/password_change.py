"""A signed-in user changing their own password: the current one is proved first, through the
sign-in pipeline's check (the same guess budgets, so a stolen session cannot try passwords
faster than the sign-in form), then `UserService.change_password` sets the new one, ending the
user's other sessions in the same transaction when asked."""

from __future__ import annotations

from dataclasses import dataclass, field

from sessiond.domain.errors import AuthenticationFailed
from sessiond.domain.session import Session
from sessiond.domain.user import User
from sessiond.infra.passwords import check_password_policy
from sessiond.services.context import Client, Deps
from sessiond.services.sign_in import PasswordForm, SignInPipeline
from sessiond.services.tenants import known_tenant
from sessiond.services.users import UserService


@dataclass(frozen=True, slots=True)
class OwnPasswordChange:
    """Asked from `session`, which stays when `end_others` ends the user's other sessions."""

    session: Session
    current: str = field(repr=False)
    new: str = field(repr=False)
    client: Client
    end_others: bool


class PasswordChangeService:
    def __init__(self, *, deps: Deps, sign_ins: SignInPipeline, users: UserService) -> None:
        self._deps = deps
        self._sign_ins = sign_ins
        self._users = users

    async def change(self, change: OwnPasswordChange) -> User:
        """Raises `WeakPassword` before any guess is counted, `TooManyGuesses` while the
        account or the client must wait, and `AuthenticationFailed` for a wrong current one."""
        check_password_policy(change.new)
        session = change.session
        tenant = await known_tenant(self._deps, session.tenant_id)
        user = await self._users.get(tenant.id, session.user_id)
        identifier = user.username or user.primary_email
        if identifier is None or user.password_hash is None:
            raise AuthenticationFailed("the user has no password to change")
        check = await self._sign_ins.check_password(
            tenant, identifier, change.current, PasswordForm.PLAIN, ip=change.client.ip
        )
        if check.user_id != user.id or check.matched_hash is None:
            raise AuthenticationFailed("the current password is wrong")
        return await self._users.change_password(
            tenant.id,
            user.id,
            change.new,
            end_sessions=change.end_others,
            keep=session.id if change.end_others else None,
            by=user.id.hex,
        )
