"""Sessions once issued: authenticate a token, touch, end, extend, list, purge."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sessiond.domain.device import DeviceProfile
from sessiond.domain.errors import (
    InvalidSort,
    NotLiveReason,
    SessionNotFound,
    SessionNotLive,
)
from sessiond.domain.events import session_extended
from sessiond.domain.listing import (
    KEYSET_FIELDS,
    NEWEST_FIRST,
    OffsetPage,
    SessionPage,
    SessionQuery,
    SessionRecord,
    SessionState,
    SortField,
    sort_value,
)
from sessiond.domain.session import EndReason, live_idle_cutoff, touch_interval
from sessiond.domain.tenant import Tenant
from sessiond.domain.tokens import digest
from sessiond.infra.metrics import TOKEN_CHECK_FAILED, TOKEN_LIVE
from sessiond.infra.token_cache import Owner
from sessiond.services import audit
from sessiond.services.context import Deps
from sessiond.services.expiry_reports import ExpiryReports
from sessiond.services.keyset import KeysetTokens, PageRequest
from sessiond.services.tenants import known_tenant, require_tenant
from sessiond.store.uow import UnitOfWork

PURGE_BATCH = 500


@dataclass(frozen=True, slots=True)
class Authenticated:
    record: SessionRecord
    tenant: Tenant


class SessionService:
    def __init__(self, *, deps: Deps, expiry_reports: ExpiryReports) -> None:
        self._deps = deps
        self._touching: set[uuid.UUID] = set()
        self._expired = expiry_reports

    async def authenticate(self, tenant_id: uuid.UUID, token: str) -> Authenticated:
        """The live session a raw token names, and its user; `SessionNotLive` says why not.
        Every check is counted by outcome, and timed (`/metrics`)."""
        started = time.perf_counter()
        outcome = TOKEN_CHECK_FAILED
        try:
            found = await self._authenticate(tenant_id, token)
            outcome = TOKEN_LIVE
            return found
        except SessionNotLive as exc:
            outcome = exc.reason
            raise
        finally:
            self._deps.metrics.token_checked(outcome, time.perf_counter() - started)

    async def _authenticate(self, tenant_id: uuid.UUID, token: str) -> Authenticated:
        """A cached answer is used only when it is still live now (expiry, idle timeout and the
        user's state are judged at check time); anything else is read again from the database,
        since another node may have touched the session since this one cached it.
        """
        key = digest(token)
        now = self._deps.clock.now()
        cache = self._deps.token_cache
        cached = cache.get(key)
        if cached is not None:
            if cached.tenant.id != tenant_id:
                raise SessionNotLive(NotLiveReason.UNKNOWN)
            if _not_live(cached, now) is None:
                return await self._touched(key, cached, now)
        ticket = cache.ticket()
        async with self._deps.store.unit_of_work(write=False) as uow:
            tenant = await require_tenant(uow, tenant_id)
            record = await uow.sessions.get_by_token_digest(key, tenant_id)
        if record is None:
            raise SessionNotLive(NotLiveReason.UNKNOWN)
        found = Authenticated(record, tenant)
        reason = _not_live(found, now)
        if reason in (NotLiveReason.EXPIRED, NotLiveReason.IDLE):
            await self._expired.report(record.session, idle=reason is NotLiveReason.IDLE, now=now)
        if reason is not None:
            raise SessionNotLive(reason)
        owner = Owner(tenant.id, user_id=record.user.id, session_id=record.session.id)
        cache.put(key, found, owner=owner, ticket=ticket)
        return await self._touched(key, found, now)

    async def _touched(self, key: str, found: Authenticated, now: datetime) -> Authenticated:
        """Writes `last_active_at` when the touch rule asks for it, once per session however many
        checks of it run at once. A touch another node made first leaves the value to be read
        again, so this process never believes a session more recently active than it was."""
        session, settings = found.record.session, found.tenant.settings
        if session.id in self._touching or not session.needs_touch(now=now, settings=settings):
            return found
        self._touching.add(session.id)
        try:
            async with self._deps.store.unit_of_work() as uow:
                touched = await uow.sessions.touch(
                    session.id, at=now, not_after=now - touch_interval(settings)
                )
                await uow.commit()
        finally:
            self._touching.discard(session.id)
        if not touched:
            self._deps.token_cache.discard(key)
            return found
        fresh = replace(
            found, record=replace(found.record, session=replace(session, last_active_at=now))
        )
        self._deps.token_cache.refresh(key, fresh)
        return fresh

    async def get(self, tenant_id: uuid.UUID, session_id: uuid.UUID) -> SessionRecord:
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            return await require_session(uow, tenant_id, session_id)

    async def get_live(
        self, tenant_id: uuid.UUID, session_id: uuid.UUID, *, owner: uuid.UUID | None = None
    ) -> SessionRecord:
        """The session if it is live (and `owner`'s, when given); `SessionNotFound` otherwise, so
        an ended session and another user's look the same."""
        now = self._deps.clock.now()
        async with self._deps.store.unit_of_work(write=False) as uow:
            tenant = await require_tenant(uow, tenant_id)
            record = await require_session(uow, tenant_id, session_id)
        live = record.session.is_live(
            now=now, settings=tenant.settings, user_active=record.user.is_active
        )
        if not live or (owner is not None and record.session.user_id != owner):
            raise SessionNotFound(f"session {session_id} does not exist")
        return record

    async def locate(self, session_id: uuid.UUID) -> SessionRecord:
        """The session with this id in whichever tenant holds it: for operators, not doors."""
        async with self._deps.store.unit_of_work(write=False) as uow:
            record = await uow.sessions.get_any_tenant(session_id)
        if record is None:
            raise SessionNotFound(f"session {session_id} does not exist")
        return record

    async def end(
        self,
        tenant_id: uuid.UUID,
        session_id: uuid.UUID,
        *,
        reason: EndReason,
        by: str | None,
        user_id: uuid.UUID | None = None,
    ) -> bool:
        """Ends one session (of `user_id`, when given). False when it had already ended."""
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            record = await require_session(uow, tenant_id, session_id)
            if user_id is not None and record.session.user_id != user_id:
                raise SessionNotFound(f"session {session_id} does not exist")
            ended = await uow.sessions.end(
                tenant_id, session_ids=[session_id], at=self._deps.clock.now(), reason=reason, by=by
            )
            if ended:
                await audit.record(
                    uow, self._deps, "sessions.revoke", tenant_id=tenant_id, target=session_id
                )
            await uow.commit()
        return bool(ended)

    async def end_each(
        self, tenant_id: uuid.UUID, session_ids: list[uuid.UUID], *, reason: EndReason, by: str
    ) -> int:
        """Ends the tenant's sessions among `session_ids` that are still going, together; how
        many that was."""
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            ended = await uow.sessions.end(
                tenant_id, session_ids=session_ids, at=self._deps.clock.now(), reason=reason, by=by
            )
            for session_id in ended:
                await audit.record(
                    uow, self._deps, "sessions.revoke", tenant_id=tenant_id, target=session_id
                )
            await uow.commit()
        return len(ended)

    async def device_profiles(self, tenant_id: uuid.UUID) -> list[DeviceProfile]:
        """The kinds of device the tenant's sessions were made on: what lists filter by."""
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            return await uow.device_profiles.of_tenant(tenant_id)

    async def end_for_user(
        self,
        tenant_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        reason: EndReason,
        by: str | None,
        keep: uuid.UUID | None = None,
    ) -> int:
        """Ends every session of a user, or every one but `keep` (sign out everywhere else)."""
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            ended = await uow.sessions.end(
                tenant_id,
                user_id=user_id,
                except_id=keep,
                at=self._deps.clock.now(),
                reason=reason,
                by=by,
            )
            await audit.record(
                uow, self._deps, "sessions.revoke_user", tenant_id=tenant_id, target=user_id
            )
            await uow.commit()
        return len(ended)

    async def end_matching(
        self,
        query: SessionQuery,
        *,
        reason: EndReason,
        by: str | None,
        progress: Callable[[int], object] | None = None,
    ) -> int:
        """Ends every live session the query lists, a batch per transaction (each batch is ended
        whole or not at all); `progress` hears how many each batch ended. Each batch is the first
        page of what still matches, in creation order and not counted (at a million sessions a
        count costs more than the batch)."""
        live = replace(query, state=SessionState.LIVE, sort=NEWEST_FIRST)
        total = 0
        while True:
            now = self._deps.clock.now()
            cutoff = await self._idle_cutoff(query.tenant_id, now)
            async with self._deps.store.unit_of_work(write=False) as uow:
                listed = await uow.listing.keyset_page(
                    live, size=PURGE_BATCH, cursor=None, now=now, idle_cutoff=cutoff, count=False
                )
            ids = [record.session.id for record in listed.records]
            if not ids:
                return total
            async with self._deps.store.unit_of_work() as uow:
                ended = await uow.sessions.end(
                    query.tenant_id,
                    session_ids=ids,
                    at=self._deps.clock.now(),
                    reason=reason,
                    by=by,
                )
                target = f"{len(ended)} matching {_described(query)}"[:128]
                await audit.record(
                    uow,
                    self._deps,
                    "sessions.revoke_matching",
                    tenant_id=query.tenant_id,
                    target=target,
                )
                await uow.commit()
            total += len(ended)
            if progress is not None:
                progress(len(ended))
            if not ended:  # listed live but ended meanwhile by someone else: nothing left to do
                return total

    async def extend(self, tenant_id: uuid.UUID, session_id: uuid.UUID) -> SessionRecord:
        """Kratos semantics: extends only inside the earliest-extend window, else a no-op."""
        now = self._deps.clock.now()
        async with self._deps.store.unit_of_work() as uow:
            tenant = await require_tenant(uow, tenant_id)
            record = await require_session(uow, tenant_id, session_id)
            session = record.session
            if not session.is_live(
                now=now, settings=tenant.settings, user_active=record.user.is_active
            ):
                raise SessionNotFound(f"session {session_id} is not active")
            if not session.may_extend(now=now, settings=tenant.settings):
                return record
            extended = session.extended(now=now, settings=tenant.settings)
            if not await uow.sessions.set_expiry(
                session.id, expires_at=extended.expires_at, at=now
            ):
                raise SessionNotFound(f"session {session_id} is not active")
            await uow.events.add(session_extended(extended, at=now))
            await audit.record(
                uow, self._deps, "sessions.extend", tenant_id=tenant_id, target=session_id
            )
            await uow.commit()
        return replace(record, session=extended)

    async def _idle_cutoff(self, tenant_id: uuid.UUID, now: datetime) -> datetime | None:
        """From the tenant as token checks know it (no read while the cache is believed)."""
        tenant = await known_tenant(self._deps, tenant_id)
        return live_idle_cutoff(now=now, settings=tenant.settings)

    async def list_offset(self, query: SessionQuery, page: OffsetPage) -> SessionPage:
        now = self._deps.clock.now()
        cutoff = await self._idle_cutoff(query.tenant_id, now)
        async with self._deps.store.unit_of_work(write=False) as uow:
            listed = await uow.listing.offset_page(query, page, now=now, idle_cutoff=cutoff)
        return SessionPage(tuple(listed.records), listed.total)

    async def list_keyset(
        self,
        query: SessionQuery,
        *,
        size: int,
        token: str | None = None,
        start_after: datetime | None = None,
        count: bool = True,
    ) -> SessionPage:
        """One page in the order of the query's one sort key, then creation order. `token` is one
        this method handed out; `start_after` is a bare instant (pxyz's documented cursor): the
        page starts strictly past it, in creation order only. Without `count` the total may be
        left uncounted (`SessionPage.counted`): across a large tenant it costs more than a page."""
        request = PageRequest(size, token, start_after)
        field = query.sort[0].field
        if field not in KEYSET_FIELDS or len(query.sort) != 1:
            raise InvalidSort("page tokens walk sessions by one sort key")
        if start_after is not None and field is not SortField.CREATED_AT:
            raise InvalidSort("a bare cursor only walks sessions in creation order")
        tokens = KeysetTokens(self._deps.page_tokens, kind="sessions", scope=_fingerprint(query))
        cursor = tokens.cursor(request)
        now = self._deps.clock.now()
        cutoff = await self._idle_cutoff(query.tenant_id, now)
        async with self._deps.store.unit_of_work(write=False) as uow:
            listed = await uow.listing.keyset_page(
                query, size=size, cursor=cursor, now=now, idle_cutoff=cutoff, count=count
            )
        page = tokens.page(
            listed.records,
            listed.total,
            listed.has_more,
            cursor,
            lambda r: (r.session.created_at, r.session.id),
            None if field is SortField.CREATED_AT else lambda r: sort_value(r, field),
        )
        return SessionPage(
            page.items, page.total, page.next_token, page.prev_token, counted=listed.counted
        )

    async def purge(self, *, progress: Callable[[int], object] | None = None) -> int:
        """Deletes sessions ended or expired longer ago than each tenant's retention (and the
        events older than that which need no more delivering, and the database's wrong-password
        hits older than the tenant's window); `progress` hears how many sessions each batch
        deleted."""
        now = self._deps.clock.now()
        async with self._deps.store.unit_of_work(write=False) as uow:
            tenants = await uow.tenants.list_all()
        purged = 0
        for tenant in tenants:
            async with self._deps.store.unit_of_work() as uow:
                await uow.guesses.prune(tenant.id, before=now - tenant.settings.guesses.window)
                await uow.commit()
            cutoff = now - tenant.settings.ended_retention
            await self._purge_events(tenant.id, before=cutoff)
            while True:
                async with self._deps.store.unit_of_work() as uow:
                    count = await uow.sessions.purge(
                        tenant.id,
                        ended_before=cutoff,
                        expired_before=cutoff,
                        limit=PURGE_BATCH,
                        now=now,
                    )
                    await uow.commit()
                purged += count
                if progress is not None:
                    progress(count)
                if count < PURGE_BATCH:
                    break
        return purged

    async def _purge_events(self, tenant_id: uuid.UUID, *, before: datetime) -> None:
        """The tenant's events older than its retention, once delivered or given up on."""
        while True:
            async with self._deps.store.unit_of_work() as uow:
                count = await uow.events.purge(tenant_id, occurred_before=before, limit=PURGE_BATCH)
                await uow.commit()
            if count < PURGE_BATCH:
                return


def _not_live(found: Authenticated, now: datetime) -> NotLiveReason | None:
    record = found.record
    return record.session.not_live_reason(
        now=now, settings=found.tenant.settings, user_active=record.user.is_active
    )


def _described(query: SessionQuery) -> str:
    """What a bulk end matched, for the audit log: the text filter, and the user and device parts
    when the query names them."""
    parts = [] if query.text_filter is None else [repr(query.text_filter)]
    if query.user_id is not None:
        parts.append(f"user={query.user_id.hex}")
    device = query.device
    named = {"browser": device.browser, "os": device.os, "kind": device.kind}
    named |= {"country": device.country, "ip": device.ip}
    parts += [f"{name}={value!r}" for name, value in named.items() if value]
    return " ".join(parts) or "every session"


def _fingerprint(query: SessionQuery) -> str:
    """Binds a page token to the list it came from, so it cannot page another tenant or filter."""
    shape = repr(
        (
            query.tenant_id,
            query.user_id,
            query.state.value,
            query.text_filter,
            query.filter_user_fields,
            tuple((k.field.value, k.descending) for k in query.sort),
            query.exclude_session_id,
            query.device,
        )
    )
    return hashlib.sha256(shape.encode()).hexdigest()[:16]


async def require_session(
    uow: UnitOfWork, tenant_id: uuid.UUID, session_id: uuid.UUID
) -> SessionRecord:
    record = await uow.sessions.get(tenant_id, session_id)
    if record is None:
        raise SessionNotFound(f"session {session_id} does not exist")
    return record
