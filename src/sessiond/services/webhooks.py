"""Managing a tenant's webhook endpoints and reading and replaying their deliveries (CLI and the
pxyz backend API). Delivering them is `services/delivery.py`'s."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sessiond.domain.errors import NotFound, WebhookNotFound
from sessiond.domain.events import Event
from sessiond.domain.ids import new_id
from sessiond.domain.webhooks import (
    Delivery,
    DeliveryStatus,
    WebhookEndpoint,
    check_event_types,
    check_url,
    new_secret,
)
from sessiond.services import audit
from sessiond.services.context import Deps
from sessiond.services.tenants import require_tenant
from sessiond.store.uow import UnitOfWork


class WebhookService:
    def __init__(self, *, deps: Deps, retry_for: timedelta) -> None:
        self._deps = deps
        self._retry_for = retry_for

    async def create(
        self, tenant_id: uuid.UUID, *, url: str, event_types: Sequence[str]
    ) -> WebhookEndpoint:
        """A new endpoint with a new secret, which only this answer holds for the caller."""
        endpoint = WebhookEndpoint(
            id=new_id(),
            tenant_id=tenant_id,
            url=check_url(url),
            event_types=check_event_types(event_types),
            secret=new_secret(),
            enabled=True,
            created_at=self._deps.clock.now(),
        )
        async with self._deps.store.unit_of_work() as uow:
            await require_tenant(uow, tenant_id)
            await uow.webhooks.add_endpoint(endpoint)
            await audit.record(
                uow, self._deps, "webhooks.create", tenant_id=tenant_id, target=endpoint.id
            )
            await uow.commit()
        return endpoint

    async def endpoints(self, tenant_id: uuid.UUID) -> list[WebhookEndpoint]:
        async with self._deps.store.unit_of_work(write=False) as uow:
            await require_tenant(uow, tenant_id)
            return await uow.webhooks.endpoints(tenant_ids=[tenant_id])

    async def get(self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        async with self._deps.store.unit_of_work(write=False) as uow:
            found = await uow.webhooks.endpoint(tenant_id, endpoint_id)
        if found is None:
            raise WebhookNotFound(f"webhook {endpoint_id} does not exist")
        return found

    async def delete(self, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
        """Deletes the endpoint with its deliveries, pending ones too."""
        async with self._deps.store.unit_of_work() as uow:
            if not await uow.webhooks.delete_endpoint(tenant_id, endpoint_id):
                raise WebhookNotFound(f"webhook {endpoint_id} does not exist")
            await audit.record(
                uow, self._deps, "webhooks.delete", tenant_id=tenant_id, target=endpoint_id
            )
            await uow.commit()

    async def deliveries(
        self,
        tenant_ids: Sequence[uuid.UUID],
        *,
        status: DeliveryStatus | None = None,
        event_id: uuid.UUID | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        """The newest deliveries of these tenants first."""
        async with self._deps.store.unit_of_work(write=False) as uow:
            return await uow.webhooks.deliveries(
                tenant_ids=tenant_ids, status=status, event_id=event_id, limit=limit
            )

    async def replay_event(self, tenant_ids: Sequence[uuid.UUID], event_id: uuid.UUID) -> int:
        """Delivers the event again to every endpoint it went to, and to the enabled endpoints
        of its type that it did not (made after it, say); returns how many deliveries are due."""
        now = self._deps.clock.now()
        async with self._deps.store.unit_of_work() as uow:
            event = await uow.events.get(event_id)
            if event is None or event.tenant_id not in tenant_ids:
                raise NotFound(f"event {event_id} does not exist")
            await self._add_missing(uow, event)
            count = await uow.webhooks.replay(
                tenant_ids=[event.tenant_id],
                event_id=event_id,
                at=now,
                give_up_at=now + self._retry_for,
            )
            await audit.record(
                uow, self._deps, "webhooks.replay", tenant_id=event.tenant_id, target=event_id
            )
            await uow.commit()
        return count

    async def replay_failed(self, tenant_ids: Sequence[uuid.UUID]) -> int:
        """Every delivery of these tenants that was given up on is due again, at once."""
        now = self._deps.clock.now()
        async with self._deps.store.unit_of_work() as uow:
            count = await uow.webhooks.replay(
                tenant_ids=tenant_ids,
                status=DeliveryStatus.FAILED,
                at=now,
                give_up_at=now + self._retry_for,
            )
            await uow.commit()
        return count

    async def _add_missing(self, uow: UnitOfWork, event: Event) -> None:
        endpoints = await uow.webhooks.endpoints(tenant_ids=[event.tenant_id], enabled_only=True)
        wanted = [(event, e) for e in endpoints if e.enabled and event.type in e.event_types]
        now = self._deps.clock.now()
        await uow.webhooks.add_deliveries(wanted, at=now, give_up_at=now + self._retry_for)
