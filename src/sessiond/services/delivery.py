"""Delivering events to webhook endpoints, in the background of `sessiond serve`.

Each round fans the outbox's new events out into deliveries (one per subscribed endpoint), then
claims the deliveries that are due, as many as there are free sending slots. Claiming counts the
try and pushes the delivery's next try a lease ahead, in one short transaction: no transaction is
open while a receiver is being waited for, and a node killed mid-send leaves its deliveries to be
claimed again when their lease ends (at least once). On PostgreSQL nodes claim with `SKIP LOCKED`,
so each delivery has one sender at a time; on SQLite the writing transaction holds the one write
lock. Requests never wait for any of this: they only write the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import orjson

from sessiond.domain.errors import StorageUnavailable
from sessiond.domain.events import Event, instant
from sessiond.domain.webhooks import RetryPolicy
from sessiond.infra.webhook_sender import Answer, WebhookSender
from sessiond.services.context import Deps
from sessiond.store.repositories.webhooks import Claimed

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 10.0
    lease: timedelta = timedelta(seconds=60)
    concurrency: int = 8
    poll_every: float = 1.0
    fan_out_batch: int = 200


def message_body(event: Event) -> str:
    """The Standard Webhooks payload shape: the type, when it happened, and its data."""
    message = {
        "type": event.type.value,
        "timestamp": instant(event.occurred_at),
        "data": event.payload,
    }
    return orjson.dumps(message).decode()


class Deliverer:
    def __init__(
        self,
        *,
        deps: Deps,
        sender: WebhookSender,
        policy: DeliveryPolicy,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._deps = deps
        self._sender = sender
        self._policy = policy
        self._jitter = jitter
        self._sending: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._loop is None:
            self._loop = asyncio.create_task(self._run(), name="sessiond-webhooks")

    async def stop(self) -> None:
        """Stops at once: a delivery cut off mid-send is tried again when its lease ends."""
        tasks = [t for t in (self._loop, *self._sending) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop = None
        await self._sender.close()

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.step()
            except StorageUnavailable as exc:
                log.warning("webhook delivery is waiting for the database: %s", exc.message)
                busy = False
            except Exception:  # a bug must not end delivery for the life of the process
                log.exception("a round of webhook delivery failed")
                busy = False
            if not busy:
                await asyncio.sleep(self._policy.poll_every)

    async def step(self) -> bool:
        """One round; True when it found work (so the next round need not wait). It looks before
        it writes, so an idle node takes no write lock (SQLite has one for the whole file)."""
        room = self._policy.concurrency - len(self._sending)
        async with self._deps.store.unit_of_work(write=False) as uow:
            new = await uow.events.any_undispatched()
            due = room > 0 and await uow.webhooks.any_due(now=self._deps.clock.now())
        fanned = await self.fan_out() if new else 0
        claimed = await self._claim(room) if room > 0 and (due or fanned) else []
        for one in claimed:
            task = asyncio.create_task(self._deliver(one))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return fanned > 0 or bool(claimed)

    async def fan_out(self) -> int:
        """A delivery for each new event and each endpoint that wants it; returns the events."""
        async with self._deps.store.unit_of_work() as uow:
            taken = await uow.events.take_undispatched(limit=self._policy.fan_out_batch)
            if not taken:
                return 0
            tenant_ids = sorted({e.tenant_id for e in taken})
            endpoints = await uow.webhooks.endpoints(tenant_ids=tenant_ids, enabled_only=True)
            pairs = [
                (event, endpoint)
                for event in taken
                for endpoint in endpoints
                if endpoint.tenant_id == event.tenant_id
                and endpoint.wants(event.type, event.occurred_at)
            ]
            now = self._deps.clock.now()
            give_up_at = now + self._policy.retry.give_up_after
            await uow.webhooks.add_deliveries(pairs, at=now, give_up_at=give_up_at)
            await uow.events.mark_dispatched([e.id for e in taken], at=now)
            await uow.commit()
        return len(taken)

    async def _claim(self, room: int) -> list[Claimed]:
        now = self._deps.clock.now()
        async with self._deps.store.unit_of_work() as uow:
            claimed = await uow.webhooks.claim_due(
                now=now, lease_until=now + self._policy.lease, limit=room
            )
            await uow.commit()
        return claimed

    async def _deliver(self, claimed: Claimed) -> None:
        event, endpoint = claimed.event, claimed.endpoint
        answer = await self._sender.send(
            url=endpoint.url,
            secret=endpoint.secret,
            message_id=str(event.id),
            body=message_body(event),
            at=self._deps.clock.now(),
        )
        try:
            await self._record(claimed, answer)
        except StorageUnavailable as exc:  # the lease brings the delivery round again
            log.warning("a webhook delivery's outcome was not recorded: %s", exc.message)

    async def _record(self, claimed: Claimed, answer: Answer) -> None:
        delivery = claimed.delivery
        now = self._deps.clock.now()
        async with self._deps.store.unit_of_work() as uow:
            if answer.ok:
                assert answer.status_code is not None
                await uow.webhooks.delivered(delivery.id, status_code=answer.status_code, at=now)
            else:
                delay = self._policy.retry.delay(delivery.attempts, jitter=self._jitter())
                retry_at = now + delay if now + delay <= delivery.give_up_at else None
                await uow.webhooks.failed_try(
                    delivery.id,
                    status_code=answer.status_code,
                    error=answer.error or "no answer",
                    retry_at=retry_at,
                    at=now,
                )
            await uow.commit()
