"""The outbox and the deliveries on every backend: an event commits and rolls back with its
change, a derived id is written once, and a claimed delivery is not due again until its lease."""

from __future__ import annotations

from datetime import datetime, timedelta

from sessiond.domain.events import EventType, session_expired
from sessiond.domain.ids import new_id
from sessiond.domain.session import EndReason, Session
from sessiond.domain.tenant import Tenant
from sessiond.domain.webhooks import WebhookEndpoint
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from tests.helpers.events import events_of
from tests.helpers.users import add_user, sign_in


async def _events_of(services: Services, tenant: Tenant) -> list[str]:
    return sorted(kind for kind, _payload in await events_of(services, tenant))


async def _signed_in(services: Services, tenant: Tenant) -> Session:
    await add_user(services, tenant)
    signed = await sign_in(services, tenant)
    assert signed.issued is not None
    return signed.issued.record.session


async def test_an_event_commits_and_rolls_back_with_its_change(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    session = await _signed_in(services, tenant)
    async with services.deps.store.unit_of_work() as uow:
        await uow.sessions.end(
            tenant.id, session_ids=[session.id], at=clock.now(), reason=EndReason.REVOKED, by="x"
        )
    assert await _events_of(services, tenant) == ["session.created", "user.created"]
    await services.sessions.end(tenant.id, session.id, reason=EndReason.REVOKED, by="x")
    await services.sessions.end(tenant.id, session.id, reason=EndReason.REVOKED, by="x")
    assert await _events_of(services, tenant) == [
        "session.created",
        "session.ended",
        "user.created",
    ]


async def test_a_session_found_expired_twice_is_reported_once(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    session = await _signed_in(services, tenant)
    for idle in (True, False):
        async with services.deps.store.unit_of_work() as uow:
            await uow.events.add(session_expired(session, idle=idle, found_at=clock.now()))
            await uow.commit()
    cutoff = clock.now() + tenant.settings.max_lifetime + timedelta(1)
    async with services.deps.store.unit_of_work() as uow:  # this tenant's purge alone
        purged = await uow.sessions.purge(
            tenant.id, ended_before=cutoff, expired_before=cutoff, limit=10, now=cutoff
        )
        await uow.commit()
    assert purged == 1
    assert (await _events_of(services, tenant)).count("session.expired") == 1


async def test_a_claimed_delivery_waits_for_its_lease(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    now = clock.now()
    endpoint = WebhookEndpoint(
        new_id(),
        tenant.id,
        "http://127.0.0.1:9/",
        (EventType.USER_CREATED,),
        "whsec_c2VjcmV0",
        True,
        now,
    )
    async with services.deps.store.unit_of_work() as uow:
        await uow.webhooks.add_endpoint(endpoint)
        await uow.commit()
    await add_user(services, tenant, "one")
    await add_user(services, tenant, "two")
    async with services.deps.store.unit_of_work() as uow:
        mine = [
            e for e in await uow.events.take_undispatched(limit=10_000) if e.tenant_id == tenant.id
        ]
        await uow.webhooks.add_deliveries([(e, endpoint) for e in mine], at=now, give_up_at=now)
        await uow.events.mark_dispatched([e.id for e in mine], at=now)
        await uow.commit()
    lease = now + timedelta(minutes=1)
    claims = []
    for _ in range(3):
        async with services.deps.store.unit_of_work() as uow:
            claims.append(await uow.webhooks.claim_due(now=now, lease_until=lease, limit=1))
            await uow.commit()
    mine_claimed = [c for claimed in claims for c in claimed if c.delivery.tenant_id == tenant.id]
    assert len({c.delivery.id for c in mine_claimed}) == 2
    assert all(c.delivery.attempts == 1 and c.endpoint == endpoint for c in mine_claimed)
    async with services.deps.store.unit_of_work() as uow:
        again = await uow.webhooks.claim_due(now=lease, lease_until=lease, limit=10)
        await uow.commit()
    assert {c.delivery.id for c in again} >= {c.delivery.id for c in mine_claimed}
    assert all(c.delivery.attempts == 2 for c in again if c.delivery.tenant_id == tenant.id)


async def _purge_events(services: Services, tenant: Tenant, *, before: datetime) -> None:
    """What `sessions purge` does to each tenant's events, for this tenant alone."""
    async with services.deps.store.unit_of_work() as uow:
        await uow.events.purge(tenant.id, occurred_before=before, limit=100)
        await uow.commit()


async def test_the_purge_drops_events_past_retention_once_nothing_is_left_to_deliver(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    await add_user(services, tenant)
    clock.advance(timedelta(days=1))
    await _purge_events(services, tenant, before=clock.now())
    assert await _events_of(services, tenant) == ["user.created"]  # not fanned out yet
    async with services.deps.store.unit_of_work() as uow:
        taken = await uow.events.take_undispatched(limit=10_000)
        await uow.events.mark_dispatched([e.id for e in taken], at=clock.now())
        await uow.commit()
    await add_user(services, tenant, "newer")
    await _purge_events(services, tenant, before=clock.now())
    assert await _events_of(services, tenant) == ["user.created"]  # only the newer one
