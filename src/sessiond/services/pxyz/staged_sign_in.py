"""pxyz's sign-in in two steps, as its frontend makes it: an attempt with only an identifier, then
its first factor (the password). The attempt's id stays the same from start to session; the rest
of the sign-in is the shared pipeline (`sign_in.py`).

Starting an attempt names no user, so it reveals nothing about which identifiers exist. A wrong
password fails the attempt (the client starts another); the failed attempt keeps the user it was
for, for administrators' audit, and `SignInAttempt.passed_first_factor` tells a door that the
caller must not see it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

from sessiond.domain.attempts import FailureReason, SignInAttempt, SignInStatus, Strategy
from sessiond.domain.errors import AttemptNotFound, AuthenticationFailed, InvalidInput
from sessiond.domain.ids import new_id
from sessiond.services.context import DEFAULT_TOKEN_FORMAT, Client, Deps, TokenFormat
from sessiond.services.issuing import issue_for
from sessiond.services.sign_in import (
    PASSWORD_STRATEGIES,
    PasswordForm,
    PasswordSignIn,
    Pending,
    SecondFactorDue,
    SignInPipeline,
    SignInResult,
)
from sessiond.services.sign_in_steps import checked_identifier
from sessiond.services.tenants import known_tenant

# How long a started attempt waits for its password (the second factor has its own window).
FIRST_FACTOR_WINDOW = timedelta(minutes=10)


class StagedSignIn:
    def __init__(self, *, deps: Deps, sign_ins: SignInPipeline) -> None:
        self._deps = deps
        self._sign_ins = sign_ins

    async def sign_in(
        self,
        tenant_id: uuid.UUID,
        *,
        identifier: str,
        strategy: Strategy,
        password: str | None,
        client: Client,
    ) -> SignInResult:
        """With the password, the whole sign-in at once; without, an attempt waiting for it."""
        if password is None:
            attempt = await self.start(
                tenant_id, identifier=identifier, strategy=strategy, client=client
            )
            return SignInResult(attempt)
        return await self._sign_ins.password(
            PasswordSignIn(
                tenant_id,
                identifier=identifier,
                password=password,
                client=client,
                strategy=strategy,
            )
        )

    async def start(
        self, tenant_id: uuid.UUID, *, identifier: str, strategy: Strategy, client: Client
    ) -> SignInAttempt:
        if strategy not in PASSWORD_STRATEGIES:
            raise InvalidInput(f"strategy {strategy.value!r} is not a password strategy")
        agent = await self._deps.parse_agent(client.user_agent)
        now = self._deps.clock.now()
        attempt = SignInAttempt(
            id=new_id(),
            tenant_id=tenant_id,
            identifier=checked_identifier(identifier),
            strategy=strategy,
            status=SignInStatus.NEEDS_FACTOR_ONE,
            created_at=now,
            updated_at=now,
            ip=client.ip,
            user_agent=agent.raw,
        )
        await known_tenant(self._deps, tenant_id)
        async with self._deps.store.unit_of_work() as uow:
            await uow.sign_ins.add(attempt)
            await uow.commit()
        return attempt

    async def attempt_password(
        self,
        tenant_id: uuid.UUID,
        attempt_id: uuid.UUID,
        *,
        password: str,
        client: Client,
        strategy: Strategy | None = None,
        token_format: TokenFormat = DEFAULT_TOKEN_FORMAT,
    ) -> SignInResult:
        """Checks the password of a `needs_factor_one` attempt; completes it, or leaves it
        waiting for a second factor. A `strategy` given must be the attempt's own."""
        tenant = await known_tenant(self._deps, tenant_id)
        async with self._deps.store.unit_of_work(write=False) as uow:
            attempt = await uow.sign_ins.get(tenant_id, attempt_id)
        if attempt is None or attempt.status is not SignInStatus.NEEDS_FACTOR_ONE:
            raise AttemptNotFound("no sign-in attempt is waiting for a first factor")
        if strategy is not None and strategy is not attempt.strategy:
            raise InvalidInput(
                f"the attempt's strategy is {attempt.strategy.value!r}", field="strategy"
            )
        if self._deps.clock.now() - attempt.created_at > FIRST_FACTOR_WINDOW:
            await self._sign_ins.record_failure(
                Pending(attempt, stored=True), FailureReason.EXPIRED
            )
            raise AttemptNotFound("the sign-in attempt has expired; sign in again")
        check = await self._sign_ins.check_password(
            tenant, attempt.identifier, password, PasswordForm.PLAIN, ip=client.ip
        )
        pending = Pending(replace(attempt, user_id=check.user_id), stored=True)
        if check.matched_hash is None:
            await self._sign_ins.record_failure(pending, FailureReason.INVALID_CREDENTIALS)
            raise AuthenticationFailed("the identifier or the password is wrong")
        return await self._sign_ins.complete(
            tenant,
            pending,
            check,
            await issue_for(self._deps, client, token_format),
            second_factor=SecondFactorDue.BEFORE_SESSION,
        )
