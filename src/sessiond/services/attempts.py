"""Sign-in and sign-up attempts as administrators see them: list, get, delete, and the attempts
(with their OAuth providers and users) behind a page of sessions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sessiond.domain.attempts import SignInAttempt, SignUpAttempt
from sessiond.domain.errors import AttemptNotFound
from sessiond.domain.listing import SessionRecord
from sessiond.domain.oauth import OAuthProvider
from sessiond.domain.user import User
from sessiond.services import audit
from sessiond.services.context import Deps
from sessiond.services.keyset import KeysetTokens, Page, PageRequest
from sessiond.services.tenants import require_tenant
from sessiond.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Related:
    """What attempts point at, by id: their users and OAuth providers (secrets included: the
    door decides what to render)."""

    sign_ins: dict[uuid.UUID, SignInAttempt] = field(default_factory=dict)
    sign_ups: dict[uuid.UUID, SignUpAttempt] = field(default_factory=dict)
    users: dict[uuid.UUID, User] = field(default_factory=dict)
    providers: dict[uuid.UUID, OAuthProvider] = field(default_factory=dict)


class AttemptService:
    def __init__(self, *, deps: Deps) -> None:
        self._deps = deps

    async def list_sign_ins(
        self, tenant_id: uuid.UUID, request: PageRequest
    ) -> tuple[Page[SignInAttempt], Related]:
        tokens = KeysetTokens(self._deps.page_tokens, kind="sign_ins", scope=tenant_id)
        cursor = tokens.cursor(request)
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            items, total, more = await uow.sign_ins.keyset_page(
                tenant_id, size=request.size, cursor=cursor
            )
            related = await _related(uow, tenant_id, sign_ins=items)
        return tokens.page(items, total, more, cursor, _key), related

    async def sign_ins_of(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, *, limit: int
    ) -> list[SignInAttempt]:
        """A user's latest sign-in attempts, newest first."""
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            return await uow.sign_ins.newest_of_user(tenant_id, user_id, limit=limit)

    async def list_sign_ups(
        self, tenant_id: uuid.UUID, request: PageRequest
    ) -> tuple[Page[SignUpAttempt], Related]:
        tokens = KeysetTokens(self._deps.page_tokens, kind="sign_ups", scope=tenant_id)
        cursor = tokens.cursor(request)
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            items, total, more = await uow.sign_ups.keyset_page(
                tenant_id, size=request.size, cursor=cursor
            )
            related = await _related(uow, tenant_id, sign_ups=items)
        return tokens.page(items, total, more, cursor, _key), related

    async def get_sign_in(
        self, tenant_id: uuid.UUID, attempt_id: uuid.UUID
    ) -> tuple[SignInAttempt, Related]:
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            attempt = await uow.sign_ins.get(tenant_id, attempt_id)
            if attempt is None:
                raise AttemptNotFound(f"sign-in attempt {attempt_id} does not exist")
            return attempt, await _related(uow, tenant_id, sign_ins=[attempt])

    async def get_sign_up(
        self, tenant_id: uuid.UUID, attempt_id: uuid.UUID
    ) -> tuple[SignUpAttempt, Related]:
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            attempt = await uow.sign_ups.get(tenant_id, attempt_id)
            if attempt is None:
                raise AttemptNotFound(f"sign-up attempt {attempt_id} does not exist")
            return attempt, await _related(uow, tenant_id, sign_ups=[attempt])

    async def delete_sign_in(self, tenant_id: uuid.UUID, attempt_id: uuid.UUID) -> None:
        """Deletes the record of the attempt; a session it created keeps living without it."""
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            if not await uow.sign_ins.delete(tenant_id, attempt_id):
                raise AttemptNotFound(f"sign-in attempt {attempt_id} does not exist")
            await audit.record(
                uow, self._deps, "sign_ins.delete", tenant_id=tenant_id, target=attempt_id
            )
            await uow.commit()

    async def delete_sign_up(self, tenant_id: uuid.UUID, attempt_id: uuid.UUID) -> None:
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            if not await uow.sign_ups.delete(tenant_id, attempt_id):
                raise AttemptNotFound(f"sign-up attempt {attempt_id} does not exist")
            await audit.record(
                uow, self._deps, "sign_ups.delete", tenant_id=tenant_id, target=attempt_id
            )
            await uow.commit()

    async def behind_sessions(
        self, tenant_id: uuid.UUID, records: Iterable[SessionRecord]
    ) -> Related:
        """The attempts that created these sessions, with their providers and users (the
        sessions' own users, which the records hold, are not read again)."""
        records = list(records)
        sign_in_ids = [r.session.sign_in_attempt_id for r in records]
        sign_up_ids = [r.session.sign_up_attempt_id for r in records]
        known = {r.user.id: r.user for r in records}
        async with self._deps.store.unit_of_work(write=False) as uow:
            sign_ins = await uow.sign_ins.get_many(tenant_id, [i for i in sign_in_ids if i])
            sign_ups = await uow.sign_ups.get_many(tenant_id, [i for i in sign_up_ids if i])
            related = await _related(
                uow,
                tenant_id,
                sign_ins=sign_ins.values(),
                sign_ups=sign_ups.values(),
                known_users=known,
            )
        return Related(sign_ins, sign_ups, related.users, related.providers)


def _key(attempt: SignInAttempt | SignUpAttempt) -> tuple[datetime, uuid.UUID]:
    return attempt.created_at, attempt.id


async def _related(
    uow: UnitOfWork,
    tenant_id: uuid.UUID,
    *,
    sign_ins: Iterable[SignInAttempt] = (),
    sign_ups: Iterable[SignUpAttempt] = (),
    known_users: Mapping[uuid.UUID, User] | None = None,
) -> Related:
    sign_ins, sign_ups = list(sign_ins), list(sign_ups)
    known_users = known_users or {}
    user_ids = {a.user_id for a in sign_ins if a.user_id is not None}
    user_ids |= {a.user_id for a in sign_ups if a.user_id is not None}
    provider_ids = {a.oauth_provider_id for a in sign_ins if a.oauth_provider_id is not None}
    providers = {}
    if provider_ids:
        listed = await uow.providers.list_for_tenant(tenant_id)
        providers = {p.id: p for p in listed if p.id in provider_ids}
    users = {i: known_users[i] for i in user_ids if i in known_users}
    users.update(await uow.users.get_many(tenant_id, user_ids - users.keys()))
    return Related({a.id: a for a in sign_ins}, {a.id: a for a in sign_ups}, users, providers)
