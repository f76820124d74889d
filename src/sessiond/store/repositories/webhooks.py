"""Webhook endpoints and the deliveries of events to them (domain/webhooks.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.domain.events import Event, EventType
from sessiond.domain.ids import new_id
from sessiond.domain.webhooks import Delivery, DeliveryStatus, WebhookEndpoint
from sessiond.store.dialect import insert_skipping_duplicates
from sessiond.store.repositories.events import event_from_row
from sessiond.store.tables import events, webhook_deliveries, webhook_endpoints

_PENDING = DeliveryStatus.PENDING.value
_EVENT_COLUMNS = [c.label(f"e__{c.name}") for c in events.c]
_ENDPOINT_COLUMNS = [c.label(f"w__{c.name}") for c in webhook_endpoints.c]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this node holds for its lease, with what it takes to send it."""

    delivery: Delivery
    event: Event
    endpoint: WebhookEndpoint


def _endpoint(row: RowMapping, prefix: str = "") -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row[f"{prefix}id"],
        tenant_id=row[f"{prefix}tenant_id"],
        url=row[f"{prefix}url"],
        event_types=tuple(EventType(t) for t in row[f"{prefix}event_types"]),
        secret=row[f"{prefix}secret"],
        enabled=row[f"{prefix}enabled"],
        created_at=row[f"{prefix}created_at"],
    )


def _delivery(row: RowMapping) -> Delivery:
    return Delivery(
        id=row["id"],
        tenant_id=row["tenant_id"],
        event_id=row["event_id"],
        endpoint_id=row["endpoint_id"],
        event_type=EventType(row["e__type"]),
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        give_up_at=row["give_up_at"],
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        updated_at=row["updated_at"],
    )


def _prefixed(row: RowMapping, prefix: str) -> dict[str, Any]:
    return {key[len(prefix) :]: value for key, value in row.items() if key.startswith(prefix)}


class WebhookRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        await self._conn.execute(
            insert(webhook_endpoints).values(
                id=endpoint.id,
                tenant_id=endpoint.tenant_id,
                url=endpoint.url,
                event_types=[t.value for t in endpoint.event_types],
                secret=endpoint.secret,
                enabled=endpoint.enabled,
                created_at=endpoint.created_at,
            )
        )

    async def endpoints(
        self, *, tenant_ids: Sequence[uuid.UUID], enabled_only: bool = False
    ) -> list[WebhookEndpoint]:
        query = (
            select(webhook_endpoints)
            .where(webhook_endpoints.c.tenant_id.in_(list(tenant_ids)))
            .order_by(webhook_endpoints.c.created_at, webhook_endpoints.c.id)
        )
        if enabled_only:
            query = query.where(webhook_endpoints.c.enabled.is_(True))
        return [_endpoint(row) for row in (await self._conn.execute(query)).mappings()]

    async def endpoint(
        self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID
    ) -> WebhookEndpoint | None:
        query = select(webhook_endpoints).where(
            webhook_endpoints.c.tenant_id == tenant_id, webhook_endpoints.c.id == endpoint_id
        )
        row = (await self._conn.execute(query)).mappings().first()
        return None if row is None else _endpoint(row)

    async def delete_endpoint(self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> bool:
        """Deletes the endpoint and its deliveries."""
        result = await self._conn.execute(
            delete(webhook_endpoints).where(
                webhook_endpoints.c.tenant_id == tenant_id, webhook_endpoints.c.id == endpoint_id
            )
        )
        return result.rowcount > 0

    async def add_deliveries(
        self,
        pairs: Sequence[tuple[Event, WebhookEndpoint]],
        *,
        at: datetime,
        give_up_at: datetime,
    ) -> None:
        """A pending delivery per (event, endpoint) that has none yet, due at once."""
        if not pairs:
            return
        await self._conn.execute(
            insert_skipping_duplicates(webhook_deliveries, self._conn.dialect.name),
            [
                {
                    "id": new_id(),
                    "tenant_id": event.tenant_id,
                    "event_id": event.id,
                    "endpoint_id": endpoint.id,
                    "status": _PENDING,
                    "attempts": 0,
                    "next_attempt_at": at,
                    "give_up_at": give_up_at,
                    "last_status_code": None,
                    "last_error": None,
                    "created_at": at,
                    "updated_at": at,
                }
                for event, endpoint in pairs
            ],
        )

    async def any_due(self, *, now: datetime) -> bool:
        d = webhook_deliveries
        query = select(d.c.id).where(d.c.status == _PENDING, d.c.next_attempt_at <= now).limit(1)
        return (await self._conn.execute(query)).first() is not None

    async def claim_due(self, *, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
        """Takes up to `limit` pending deliveries due by `now`: each try is counted, and the
        delivery is not due again until `lease_until`. On PostgreSQL the rows another node is
        claiming are skipped; on SQLite the writing transaction holds the one write lock."""
        d = webhook_deliveries
        due = (
            select(d.c.id)
            .where(d.c.status == _PENDING, d.c.next_attempt_at <= now)
            .order_by(d.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = await self._conn.execute(
            update(d)
            .where(d.c.id.in_(due.scalar_subquery()))
            .values(attempts=d.c.attempts + 1, next_attempt_at=lease_until, updated_at=now)
            .returning(d.c.id)
        )
        ids = list(claimed.scalars())
        if not ids:
            return []
        rows = await self._read(d.c.id.in_(ids), with_endpoints=True)
        return [
            Claimed(
                _delivery(row),
                event_from_row(_prefixed(row, "e__")),
                _endpoint(row, "w__"),
            )
            for row in rows
        ]

    async def _read(
        self,
        *conditions: ColumnElement[bool],
        with_endpoints: bool = False,
        limit: int | None = None,
    ) -> list[RowMapping]:
        d = webhook_deliveries
        joined = d.join(events, events.c.id == d.c.event_id)
        columns: list[Any] = [d, *_EVENT_COLUMNS]
        if with_endpoints:
            joined = joined.join(webhook_endpoints, webhook_endpoints.c.id == d.c.endpoint_id)
            columns.extend(_ENDPOINT_COLUMNS)
        query = (
            select(*columns)
            .select_from(joined)
            .where(*conditions)
            .order_by(d.c.created_at.desc(), d.c.id.desc())
            .limit(limit)
        )
        return list((await self._conn.execute(query)).mappings())

    async def delivered(self, delivery_id: uuid.UUID, *, status_code: int, at: datetime) -> None:
        await self._finish(
            delivery_id,
            at=at,
            status=DeliveryStatus.DELIVERED.value,
            last_status_code=status_code,
            last_error=None,
        )

    async def failed_try(
        self,
        delivery_id: uuid.UUID,
        *,
        status_code: int | None,
        error: str,
        retry_at: datetime | None,
        at: datetime,
    ) -> None:
        """Records a failed try: due again at `retry_at`, or `failed` for good when None."""
        values: dict[str, object] = {
            "status": _PENDING if retry_at is not None else DeliveryStatus.FAILED.value,
            "last_status_code": status_code,
            "last_error": error,
        }
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        await self._finish(delivery_id, at=at, **values)

    async def _finish(self, delivery_id: uuid.UUID, *, at: datetime, **values: object) -> None:
        d = webhook_deliveries
        await self._conn.execute(
            update(d)
            .where(d.c.id == delivery_id, d.c.status == _PENDING)
            .values(updated_at=at, **values)
        )

    async def deliveries(
        self,
        *,
        tenant_ids: Sequence[uuid.UUID],
        status: DeliveryStatus | None = None,
        event_id: uuid.UUID | None = None,
        limit: int,
    ) -> list[Delivery]:
        """The newest deliveries first."""
        d = webhook_deliveries
        conditions: list[ColumnElement[bool]] = [d.c.tenant_id.in_(list(tenant_ids))]
        if status is not None:
            conditions.append(d.c.status == status.value)
        if event_id is not None:
            conditions.append(d.c.event_id == event_id)
        return [_delivery(row) for row in await self._read(*conditions, limit=limit)]

    async def replay(
        self,
        *,
        tenant_ids: Sequence[uuid.UUID],
        at: datetime,
        give_up_at: datetime,
        event_id: uuid.UUID | None = None,
        status: DeliveryStatus | None = None,
    ) -> int:
        """Makes the matching deliveries pending and due at once, with a fresh retry window."""
        d = webhook_deliveries
        query = update(d).where(d.c.tenant_id.in_(list(tenant_ids)))
        if event_id is not None:
            query = query.where(d.c.event_id == event_id)
        if status is not None:
            query = query.where(d.c.status == status.value)
        result = await self._conn.execute(
            query.values(
                status=_PENDING,
                attempts=0,
                next_attempt_at=at,
                give_up_at=give_up_at,
                updated_at=at,
            )
        )
        return result.rowcount
