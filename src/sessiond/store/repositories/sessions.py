from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    not_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.selectable import FromClause

from sessiond.domain.attempts import SignInAttempt, SignInStatus
from sessiond.domain.device import Device, UserAgentInfo
from sessiond.domain.events import Event, session_expired, sessions_ended
from sessiond.domain.invalidation import Scope
from sessiond.domain.listing import SessionRecord, SessionState
from sessiond.domain.session import AAL, AuthMethod, EndReason, Session
from sessiond.domain.user import UserState
from sessiond.store.dialect import utc_day
from sessiond.store.repositories.attempts import (
    NEW_ATTEMPT_COLUMNS,
    SignInAttemptRepository,
    insert_sign_in_attempt,
    sign_in_attempt_params,
)
from sessiond.store.repositories.device_profiles import (
    DeviceProfileRepository,
    profile_digest,
    profile_parts,
)
from sessiond.store.repositories.events import (
    EVENT_COLUMNS,
    EventRepository,
    event_params,
    insert_event,
)
from sessiond.store.repositories.invalidations import UNLOGGED, InvalidationLog, Unlogged
from sessiond.store.repositories.users import UserRepository
from sessiond.store.tables import (
    device_profiles,
    devices,
    events,
    sessions,
    sign_in_attempts,
    tenants,
    users,
)

_AGENT_FIELDS = tuple(f for f in UserAgentInfo.__dataclass_fields__ if f != "raw")
_DEVICE_COLUMNS = [c.label(f"d__{c.name}") for c in devices.c]
_USER_COLUMNS = [c.label(f"u__{c.name}") for c in users.c]
# Every session read and count joins its user (liveness reads the user's state) and its device.
_WITH_USER_AND_DEVICE = sessions.join(users, users.c.id == sessions.c.user_id).outerjoin(
    devices, devices.c.id == sessions.c.device_id
)


def _methods_json(methods: Sequence[AuthMethod]) -> list[dict[str, str]]:
    return [
        {
            "method": m.method,
            "aal": m.aal.value,
            "completed_at": m.completed_at.isoformat(),
            "provider": m.provider,
        }
        for m in methods
    ]


def _methods(raw: Sequence[dict[str, str]]) -> tuple[AuthMethod, ...]:
    return tuple(
        AuthMethod(
            method=m["method"],
            aal=AAL(m["aal"]),
            completed_at=datetime.fromisoformat(m["completed_at"]),
            provider=m.get("provider", ""),
        )
        for m in raw
    )


def session_from_row(row: RowMapping) -> Session:
    return Session(
        id=row["id"],
        tenant_id=row["tenant_id"],
        user_id=row["user_id"],
        token_digest=row["token_digest"],
        device_id=row["device_id"],
        created_at=row["created_at"],
        authenticated_at=row["authenticated_at"],
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        last_active_at=row["last_active_at"],
        updated_at=row["updated_at"],
        aal=AAL(row["aal"]),
        methods=_methods(row["methods"]),
        host=row["host"],
        sign_in_attempt_id=row["sign_in_attempt_id"],
        sign_up_attempt_id=row["sign_up_attempt_id"],
        ended_at=row["ended_at"],
        end_reason=None if row["end_reason"] is None else EndReason(row["end_reason"]),
        ended_by=row["ended_by"],
    )


def device_from_row(row: RowMapping, prefix: str = "") -> Device | None:
    if row[f"{prefix}id"] is None:
        return None
    agent = UserAgentInfo(
        raw=row[f"{prefix}user_agent"], **{f: row[f"{prefix}{f}"] for f in _AGENT_FIELDS}
    )
    return Device(
        id=row[f"{prefix}id"],
        agent=agent,
        ip=row[f"{prefix}ip"],
        location=row[f"{prefix}location"],
        created_at=row[f"{prefix}created_at"],
    )


def live_condition(*, now: datetime, idle_cutoff: datetime | None) -> ColumnElement[bool]:
    condition = and_(
        sessions.c.ended_at.is_(None),
        sessions.c.expires_at > now,
        users.c.state == UserState.ACTIVE.value,
    )
    if idle_cutoff is not None:
        condition = and_(condition, sessions.c.last_active_at > idle_cutoff)
    return condition


def state_condition(
    state: SessionState, *, now: datetime, idle_cutoff: datetime | None
) -> ColumnElement[bool]:
    live = live_condition(now=now, idle_cutoff=idle_cutoff)
    if state is SessionState.LIVE:
        return live
    if state is SessionState.ENDED:
        return not_(live)
    return true()


# Built once: a statement given its values as parameters costs a third of one built with them.
_INSERT_DEVICE = insert(devices)
# The profile of the session's device is read within the insert, so a sign-in on a kind of
# device its tenant has met before costs no round trip for it (`add` makes a new one).
_PROFILE_OF_DEVICE = (
    select(device_profiles.c.id)
    .where(
        device_profiles.c.tenant_id == bindparam("profile_tenant_id"),
        device_profiles.c.digest == bindparam("profile_digest"),
    )
    .scalar_subquery()
)
_INSERT_SESSION = (
    insert(sessions)
    .values(device_profile_id=_PROFILE_OF_DEVICE)
    .returning(sessions.c.device_profile_id)
)


# A sign-in's session, its device, the attempt it completes and its `session.created` event, in
# one statement on PostgreSQL (a round trip there costs about as much as the rest of a sign-in's
# work but the hash).
_DEVICE_VALUES = ("id", "tenant_id", "user_agent", "ip", "location", "created_at", *_AGENT_FIELDS)
_INSERT_SIGNED_IN = _INSERT_SESSION.add_cte(
    insert_sign_in_attempt(prefix="attempt__").cte("new_attempt"),
    insert_event(prefix="event__").cte("new_event"),
    insert(devices)
    .values(
        {name: bindparam(f"device__{name}", type_=devices.c[name].type) for name in _DEVICE_VALUES}
    )
    .cte("new_device"),
)

_SESSION_VALUES = (
    "id",
    "tenant_id",
    "user_id",
    "token_digest",
    "device_id",
    "created_at",
    "authenticated_at",
    "issued_at",
    "expires_at",
    "last_active_at",
    "updated_at",
    "aal",
    "methods",
    "host",
    "sign_in_attempt_id",
    "sign_up_attempt_id",
)


def _device_params(session: Session, device: Device, prefix: str = "") -> dict[str, Any]:
    agent = device.agent
    values = dict(
        id=device.id,
        tenant_id=session.tenant_id,
        user_agent=agent.raw,
        ip=device.ip,
        location=device.location,
        created_at=device.created_at,
        **{f: getattr(agent, f) for f in _AGENT_FIELDS},
    )
    return {f"{prefix}{name}": value for name, value in values.items()}


def _session_params(session: Session, device: Device | None, prefix: str = "") -> dict[str, Any]:
    values = {
        "id": session.id,
        "tenant_id": session.tenant_id,
        "user_id": session.user_id,
        "token_digest": session.token_digest,
        "device_id": None if device is None else device.id,
        "created_at": session.created_at,
        "authenticated_at": session.authenticated_at,
        "issued_at": session.issued_at,
        "expires_at": session.expires_at,
        "last_active_at": session.last_active_at,
        "updated_at": session.updated_at,
        "aal": session.aal.value,
        "methods": _methods_json(session.methods),
        "host": session.host,
        "sign_in_attempt_id": session.sign_in_attempt_id,
        "sign_up_attempt_id": session.sign_up_attempt_id,
    }
    values = {f"{prefix}{name}": value for name, value in values.items()}
    values["profile_tenant_id"] = session.tenant_id
    values["profile_digest"] = (
        None if device is None else profile_digest(profile_parts(device.agent))
    )
    return values


def _insert_from(
    table: Table, names: Sequence[str], prefix: str, source: FromClause, **columns: Any
) -> Insert:
    """INSERT ... SELECT of the parameters `prefix` + name (and `columns` as they are) from each
    row of `source`: nothing when `source` is empty."""
    values = [bindparam(f"{prefix}{n}", type_=table.c[n].type).label(n) for n in names]
    values += [column.label(name) for name, column in columns.items()]
    return insert(table).from_select([*names, *columns], select(*values).select_from(source))


@functools.cache
def _checked_sign_in(*, claim: bool, without_second_factor: bool) -> Insert:
    """The statement of `SessionRepository.add_checked`, built once per shape."""
    checks = [
        users.c.tenant_id == bindparam("session__tenant_id"),
        users.c.id == bindparam("session__user_id"),
        users.c.password_hash == bindparam("checked__password_hash"),
        users.c.state == UserState.ACTIVE.value,
        _PROFILE_OF_DEVICE.is_not(None),
    ]
    if without_second_factor:
        checks.append(users.c.totp_enabled.is_(False))
    user = select(users.c.id).where(*checks).with_for_update(of=users).cte("checked_user")
    source: FromClause = user
    ctes = []
    if claim:
        flows = sign_in_attempts
        claimed = (
            delete(flows)
            .where(
                flows.c.tenant_id == bindparam("session__tenant_id"),
                flows.c.id == bindparam("claim__id"),
                flows.c.status == SignInStatus.NEEDS_IDENTIFIER.value,
                exists(select(user.c.id)),
            )
            .returning(flows.c.id)
            .cte("claimed_flow")
        )
        ctes.append(claimed)
        source = user.join(claimed, true())
    ctes.append(
        _insert_from(
            sign_in_attempts, NEW_ATTEMPT_COLUMNS, "attempt__", source, user_id=user.c.id
        ).cte("new_attempt")
    )
    ctes.append(_insert_from(events, EVENT_COLUMNS, "event__", source).cte("new_event"))
    ctes.append(_insert_from(devices, _DEVICE_VALUES, "device__", source).cte("new_device"))
    main = _insert_from(
        sessions, _SESSION_VALUES, "session__", source, device_profile_id=_PROFILE_OF_DEVICE
    )
    return main.add_cte(*ctes).returning(sessions.c.id)


class SessionRepository:
    def __init__(
        self,
        conn: AsyncConnection,
        *,
        log: InvalidationLog | Unlogged = UNLOGGED,
        events: EventRepository | None = None,
    ) -> None:
        self._conn = conn
        self._log = log
        self._events = events or EventRepository(conn)
        self._users = UserRepository(conn, log=log)

    async def add(
        self,
        session: Session,
        device: Device | None,
        *,
        attempt: SignInAttempt | None = None,
        event: Event | None = None,
    ) -> None:
        """Writes the session with its new device, with `attempt`, the new sign-in attempt it
        completes, when there is one, and with `event`, its `session.created` (all four in one
        statement on PostgreSQL)."""
        parts: dict[str, Any] = {}
        if (
            attempt is not None
            and device is not None
            and event is not None
            and self._conn.dialect.name == "postgresql"
        ):
            parts = sign_in_attempt_params(attempt, prefix="attempt__")
            parts.update(event_params(event, prefix="event__"))
            parts.update(_device_params(session, device, prefix="device__"))
        else:
            if attempt is not None:
                await SignInAttemptRepository(self._conn).add(attempt)
            if event is not None:
                await self._events.add(event)
            if device is not None:
                await self._conn.execute(_INSERT_DEVICE, _device_params(session, device))
        inserted = await self._conn.execute(
            _INSERT_SIGNED_IN if parts else _INSERT_SESSION,
            {**parts, **_session_params(session, device)},
        )
        if device is not None and inserted.scalar_one() is None:
            await self._give_new_profile(session, device.agent)

    async def add_checked(
        self,
        session: Session,
        device: Device,
        *,
        attempt: SignInAttempt,
        event: Event,
        password_hash: str,
        without_second_factor: bool,
        claim_flow: uuid.UUID | None,
    ) -> bool:
        """PostgreSQL only: in one statement, locks the session's user and writes the session, its
        device, `attempt` (new, the sign-in it completes) and `event` (its `session.created`) only
        if the user is still active with
        `password_hash` (and, `without_second_factor`, no TOTP on), the tenant already has the
        device's profile, and the open login flow `claim_flow`, when given, is taken by it. False
        when it wrote nothing: the caller then goes the whole way, which finds out why."""
        params = sign_in_attempt_params(attempt, prefix="attempt__")
        params.update(event_params(event, prefix="event__"))
        params.update(_device_params(session, device, prefix="device__"))
        params.update(_session_params(session, device, prefix="session__"))
        params.update(checked__password_hash=password_hash)
        if claim_flow is not None:
            params.update(claim__id=claim_flow)
        statement = _checked_sign_in(
            claim=claim_flow is not None, without_second_factor=without_second_factor
        )
        return (await self._conn.execute(statement, params)).first() is not None

    async def _give_new_profile(self, session: Session, agent: UserAgentInfo) -> None:
        """The tenant's first session on this kind of device: its profile is made (or, if
        another transaction is making it, waited for) and named."""
        profiles = DeviceProfileRepository(self._conn)
        [profile_id] = (await profiles.ids_for(session.tenant_id, [agent])).values()
        await self._conn.execute(
            update(sessions).where(sessions.c.id == session.id).values(device_profile_id=profile_id)
        )

    async def get(self, tenant_id: uuid.UUID, session_id: uuid.UUID) -> SessionRecord | None:
        return await self._one(sessions.c.tenant_id == tenant_id, sessions.c.id == session_id)

    async def get_any_tenant(self, session_id: uuid.UUID) -> SessionRecord | None:
        return await self._one(sessions.c.id == session_id)

    async def get_by_token_digest(self, digest: str, tenant_id: uuid.UUID) -> SessionRecord | None:
        return await self._one(sessions.c.token_digest == digest, sessions.c.tenant_id == tenant_id)

    async def _one(self, *conditions: ColumnElement[bool]) -> SessionRecord | None:
        records = await self.fetch_records(*conditions)
        return records[0] if records else None

    async def fetch_records(
        self,
        *conditions: ColumnElement[bool],
        order: Sequence[Any] = (),
        offset: int = 0,
        limit: int | None = None,
    ) -> list[SessionRecord]:
        query = (
            select(sessions, *_DEVICE_COLUMNS, *_USER_COLUMNS)
            .select_from(_WITH_USER_AND_DEVICE)
            .where(*conditions)
            .order_by(*order)
            .offset(offset)
            .limit(limit)
        )
        rows = list((await self._conn.execute(query)).mappings())
        user_rows: dict[uuid.UUID, dict[str, Any]] = {}
        for row in rows:
            user_rows[row["user_id"]] = {c.name: row[f"u__{c.name}"] for c in users.c}
        hydrated = await self._users.hydrate(list(user_rows.values()))
        by_id = {user.id: user for user in hydrated}
        return [
            SessionRecord(
                session=session_from_row(row),
                device=device_from_row(row, "d__"),
                user=by_id[row["user_id"]],
            )
            for row in rows
        ]

    async def count(self, *conditions: ColumnElement[bool]) -> int:
        query = select(func.count()).select_from(_WITH_USER_AND_DEVICE).where(*conditions)
        return (await self._conn.execute(query)).scalar_one()

    async def live_for_user(
        self,
        tenant_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        now: datetime,
        idle_cutoff: datetime | None,
    ) -> list[Session]:
        """The user's live sessions, oldest first."""
        query = (
            select(sessions)
            .join(users, users.c.id == sessions.c.user_id)
            .where(
                sessions.c.tenant_id == tenant_id,
                sessions.c.user_id == user_id,
                live_condition(now=now, idle_cutoff=idle_cutoff),
            )
            .order_by(sessions.c.created_at, sessions.c.id)
        )
        return [session_from_row(row) for row in (await self._conn.execute(query)).mappings()]

    async def touch(self, session_id: uuid.UUID, *, at: datetime, not_after: datetime) -> bool:
        """Sets `last_active_at` unless another node already did within the touch interval."""
        result = await self._conn.execute(
            update(sessions)
            .where(
                sessions.c.id == session_id,
                sessions.c.ended_at.is_(None),
                sessions.c.last_active_at <= not_after,
            )
            .values(last_active_at=at)
        )
        return result.rowcount > 0

    async def set_expiry(
        self, session_id: uuid.UUID, *, expires_at: datetime, at: datetime
    ) -> bool:
        """Moves the expiry of a session that has not ended; False if it ended meanwhile."""
        result = await self._conn.execute(
            update(sessions)
            .where(sessions.c.id == session_id, sessions.c.ended_at.is_(None))
            .values(expires_at=expires_at, updated_at=at)
            .returning(sessions.c.tenant_id)
        )
        return await self._logged_one(session_id, result.scalar_one_or_none())

    async def raise_assurance(
        self,
        session_id: uuid.UUID,
        *,
        aal: AAL,
        methods: Sequence[AuthMethod],
        at: datetime,
    ) -> bool:
        """Sets the level and methods of a session that has not ended (a step-up)."""
        result = await self._conn.execute(
            update(sessions)
            .where(sessions.c.id == session_id, sessions.c.ended_at.is_(None))
            .values(aal=aal.value, methods=_methods_json(methods), updated_at=at)
            .returning(sessions.c.tenant_id)
        )
        return await self._logged_one(session_id, result.scalar_one_or_none())

    async def _logged_one(self, session_id: uuid.UUID, tenant_id: uuid.UUID | None) -> bool:
        if tenant_id is None:
            return False
        await self._log.record(Scope.SESSION, tenant_id, [session_id])
        return True

    async def end(
        self,
        tenant_id: uuid.UUID,
        *,
        at: datetime,
        reason: EndReason,
        by: str | None,
        session_ids: Sequence[uuid.UUID] | None = None,
        user_id: uuid.UUID | None = None,
        except_id: uuid.UUID | None = None,
    ) -> list[uuid.UUID]:
        """Ends the not-yet-ended sessions that match, with a `session.ended` event for each;
        returns the ids this call ended. Every way a session ends comes through here."""
        conditions: list[ColumnElement[bool]] = [
            sessions.c.tenant_id == tenant_id,
            sessions.c.ended_at.is_(None),
        ]
        if session_ids is not None:
            conditions.append(sessions.c.id.in_(list(session_ids)))
        if user_id is not None:
            conditions.append(sessions.c.user_id == user_id)
        if except_id is not None:
            conditions.append(sessions.c.id != except_id)
        result = await self._conn.execute(
            update(sessions)
            .where(*conditions)
            .values(ended_at=at, end_reason=reason.value, ended_by=by, updated_at=at)
            .returning(sessions.c.id, sessions.c.user_id)
        )
        rows = [(row[0], row[1]) for row in result]
        await self._events.add(*sessions_ended(tenant_id, rows, reason=reason, by=by, at=at))
        ended = [session_id for session_id, _ in rows]
        if ended and user_id is not None:
            await self._log.record(Scope.USER, tenant_id, [user_id])
        elif ended and session_ids is not None:
            await self._log.record(Scope.SESSION, tenant_id, ended)
        elif ended:
            await self._log.record(Scope.TENANT, tenant_id, [tenant_id])
        return ended

    async def purge(
        self,
        tenant_id: uuid.UUID,
        *,
        ended_before: datetime,
        expired_before: datetime,
        limit: int,
        now: datetime,
    ) -> int:
        """Deletes up to `limit` sessions ended or expired before the cutoffs, and their devices;
        one that expired without ending gets its `session.expired` (if no check wrote it first).

        Two index-served lookups rather than one `OR`, which would scan the tenant's sessions.
        """
        found: dict[uuid.UUID, Session] = {}
        for condition in (
            sessions.c.ended_at < ended_before,
            sessions.c.expires_at < expired_before,
        ):
            query = (
                select(sessions)
                .where(sessions.c.tenant_id == tenant_id, condition)
                .limit(limit - len(found))
            )
            rows = (await self._conn.execute(query)).mappings()
            found.update((row["id"], session_from_row(row)) for row in rows)
            if len(found) >= limit:
                break
        if not found:
            return 0
        expired = [s for s in found.values() if s.ended_at is None]
        await self._events.add(*(session_expired(s, idle=False, found_at=now) for s in expired))
        await self._conn.execute(delete(sessions).where(sessions.c.id.in_(list(found))))
        device_ids = [s.device_id for s in found.values() if s.device_id is not None]
        if device_ids:
            await self._conn.execute(delete(devices).where(devices.c.id.in_(device_ids)))
        return len(found)

    async def count_created_by_day(
        self, tenant_id: uuid.UUID, *, since: datetime
    ) -> dict[str, int]:
        """Sessions issued per UTC day (`YYYY-MM-DD`) from `since` on."""
        day = utc_day(sessions.c.created_at)
        query = (
            select(day, func.count())
            .where(sessions.c.tenant_id == tenant_id, sessions.c.created_at >= since)
            .group_by(day)
        )
        return {row[0]: int(row[1]) for row in await self._conn.execute(query)}

    async def count_unexpired_by_tenant(self, *, now: datetime) -> dict[str, int]:
        """Sessions neither ended nor expired, per tenant slug, every tenant included: counted
        from `ix_sessions_tenant_live` alone (whether a user is suspended, or a session idle,
        would take a read of each session's user or row)."""
        unexpired = (
            select(sessions.c.tenant_id, func.count().label("sessions"))
            .where(sessions.c.ended_at.is_(None), sessions.c.expires_at > now)
            .group_by(sessions.c.tenant_id)
            .subquery()
        )
        query = select(tenants.c.slug, func.coalesce(unexpired.c.sessions, 0)).select_from(
            tenants.outerjoin(unexpired, unexpired.c.tenant_id == tenants.c.id)
        )
        return {row[0]: int(row[1]) for row in await self._conn.execute(query)}

    async def cap_lifetime(
        self, tenant_id: uuid.UUID, *, lifetime: timedelta, now: datetime
    ) -> int:
        """Brings the expiry of every unended, unexpired session down to `created_at + lifetime`
        where that is sooner. Computed here rather than in SQL: date arithmetic differs per
        backend, and SQLite stores text."""
        query = select(sessions.c.id, sessions.c.created_at, sessions.c.expires_at).where(
            sessions.c.tenant_id == tenant_id,
            sessions.c.ended_at.is_(None),
            sessions.c.expires_at > now,
        )
        changes = [
            {"sid": row[0], "cap": row[1] + lifetime}
            for row in await self._conn.execute(query)
            if row[1] + lifetime < row[2]
        ]
        if changes:
            await self._conn.execute(
                update(sessions)
                .where(sessions.c.id == bindparam("sid"))
                .values(expires_at=bindparam("cap"), updated_at=now),
                changes,
            )
            await self._log.record(Scope.TENANT, tenant_id, [tenant_id])
        return len(changes)
