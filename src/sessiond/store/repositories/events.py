"""The events outbox (domain/events.py): written beside each change, read by the deliverer."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.domain.events import Event, EventType
from sessiond.domain.webhooks import DeliveryStatus
from sessiond.store.dialect import insert_skipping_duplicates
from sessiond.store.tables import events, webhook_deliveries

EVENT_COLUMNS = ("id", "tenant_id", "type", "payload", "occurred_at")


def insert_event(prefix: str = "") -> Insert:
    """An event's insert given its values as parameters named `prefix` + column (`event_params`),
    so that it can ride in another statement (see `SessionRepository.add`)."""
    return insert(events).values(
        {name: bindparam(f"{prefix}{name}", type_=events.c[name].type) for name in EVENT_COLUMNS}
    )


def event_params(event: Event, prefix: str = "") -> dict[str, Any]:
    values = {
        "id": event.id,
        "tenant_id": event.tenant_id,
        "type": event.type.value,
        "payload": event.payload,
        "occurred_at": event.occurred_at,
    }
    return {f"{prefix}{name}": value for name, value in values.items()}


def event_from_row(row: Mapping[Any, Any]) -> Event:
    return Event(
        id=row["id"],
        tenant_id=row["tenant_id"],
        type=EventType(row["type"]),
        payload=row["payload"],
        occurred_at=row["occurred_at"],
    )


class EventRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, *added: Event) -> None:
        """Writes the events; one whose id is there already (`session.expired`) is left out."""
        if not added:
            return
        await self._conn.execute(
            insert_skipping_duplicates(events, self._conn.dialect.name),
            [event_params(e) for e in added],
        )

    async def get(self, event_id: uuid.UUID) -> Event | None:
        row = (await self._conn.execute(select(events).where(events.c.id == event_id))).first()
        return None if row is None else event_from_row(row._mapping)

    async def any_undispatched(self) -> bool:
        query = select(events.c.id).where(events.c.dispatched_at.is_(None)).limit(1)
        return (await self._conn.execute(query)).first() is not None

    async def take_undispatched(self, *, limit: int) -> list[Event]:
        """The oldest events not yet fanned out, locked (on PostgreSQL; skipping those another
        node holds) until the unit of work ends."""
        query = (
            select(events)
            .where(events.c.dispatched_at.is_(None))
            .order_by(events.c.dispatched_at, events.c.occurred_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [event_from_row(row) for row in (await self._conn.execute(query)).mappings()]

    async def mark_dispatched(self, event_ids: Sequence[uuid.UUID], *, at: datetime) -> None:
        await self._conn.execute(
            update(events).where(events.c.id.in_(list(event_ids))).values(dispatched_at=at)
        )

    async def purge(self, tenant_id: uuid.UUID, *, occurred_before: datetime, limit: int) -> int:
        """Deletes up to `limit` of the tenant's events from before the cutoff that were fanned
        out and have no delivery still pending, with their deliveries."""
        pending = select(webhook_deliveries.c.id).where(
            webhook_deliveries.c.event_id == events.c.id,
            webhook_deliveries.c.status == DeliveryStatus.PENDING.value,
        )
        done = (
            select(events.c.id)
            .where(
                events.c.tenant_id == tenant_id,
                events.c.occurred_at < occurred_before,
                events.c.dispatched_at.is_not(None),
                ~pending.exists(),
            )
            .limit(limit)
        )
        ids = list((await self._conn.execute(done)).scalars())
        if ids:
            await self._conn.execute(delete(events).where(events.c.id.in_(ids)))
        return len(ids)
