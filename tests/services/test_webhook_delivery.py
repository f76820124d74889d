"""Events reach a real receiver on loopback, signed per Standard Webhooks: every type once, a
receiver that was down gets everything when it is back, and one that never answers is given up
on and can be replayed."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pyotp
import pytest

from sessiond.domain.errors import AuthenticationFailed, SessionNotLive
from sessiond.domain.events import EventType
from sessiond.domain.session import EndReason
from sessiond.domain.tenant import SessionSettings
from sessiond.domain.user import UserState
from sessiond.domain.webhooks import DeliveryStatus
from tests.helpers.tenants import tenant_with
from tests.helpers.users import add_user, sign_in
from tests.helpers.webhook_receiver import Message, receiving
from tests.helpers.webhooks import deliveries_until, delivering

ALL_TYPES = [kind.value for kind in EventType]
EXPECTED = Counter(
    {
        "user.created": 1,
        "session.created": 2,
        "sign_in.failed": 1,
        "session.extended": 1,
        "session.ended": 2,
        "two_factor.enabled": 1,
        "two_factor.disabled": 1,
        "session.expired": 1,
        "user.suspended": 1,
        "user.deleted": 1,
    }
)


async def test_every_event_type_arrives_once_and_verifies(database_url: str) -> None:
    with receiving() as receiver:
        async with delivering(database_url) as services:
            idle = SessionSettings(inactivity_timeout=timedelta(seconds=1))
            tenant = await tenant_with(services, idle)
            endpoint = await services.webhooks.create(
                tenant.id, url=receiver.url, event_types=ALL_TYPES
            )
            user = await add_user(services, tenant)
            first = await sign_in(services, tenant)
            assert first.issued is not None
            with pytest.raises(AuthenticationFailed):
                await sign_in(services, tenant, password="not the password")
            session_id = first.issued.record.session.id
            await services.sessions.extend(tenant.id, session_id)
            await services.sessions.end(
                tenant.id, session_id, reason=EndReason.SIGNED_OUT, by="test"
            )
            totp = await services.totp_enrolment.begin(tenant.id, user.id, issuer="sessiond")
            codes = await services.totp_enrolment.confirm(
                tenant.id, user.id, pyotp.TOTP(totp.secret).now()
            )
            await services.totp_enrolment.disable(tenant.id, user.id, codes[0])
            second = await sign_in(services, tenant)
            assert second.issued is not None
            await asyncio.sleep(1.1)
            for _ in range(2):  # the second check finds it expired again, and writes nothing
                with pytest.raises(SessionNotLive):
                    await services.sessions.authenticate(tenant.id, second.issued.token)
            await services.users.set_state(tenant.id, user.id, UserState.SUSPENDED, by="test")
            await services.users.delete(tenant.id, user.id)

            total = sum(EXPECTED.values())
            got = await receiver.arrived(lambda m: len(m) >= total)
            await asyncio.sleep(0.3)  # nothing more comes
            got = receiver.received()
            await deliveries_until(
                services,
                tenant.id,
                lambda ds: all(d.status is DeliveryStatus.DELIVERED for d in ds),
            )
    payloads = [m.verified(endpoint.secret) for m in got]
    assert Counter(p["type"] for p in payloads) == EXPECTED
    assert len({m.id for m in got}) == total
    by_type = {p["type"]: p for p in payloads}
    created = by_type["session.created"]["data"]
    assert created["user_id"] == str(user.id)
    assert created["device"]["browser"] == "Chrome"
    assert created["device"]["ip"] == "203.0.113.7"
    ended = sorted(p["data"]["reason"] for p in payloads if p["type"] == "session.ended")
    assert ended == ["logout", "user_suspended"]
    assert by_type["session.expired"]["data"]["reason"] == "idle"
    assert by_type["sign_in.failed"]["data"]["reason"] == "invalid_credentials"
    assert by_type["two_factor.enabled"]["data"] == {"user_id": str(user.id), "method": "totp"}
    assert all(p["timestamp"].endswith("Z") for p in payloads)


def _sign_in_events(messages: list[Message]) -> list[str]:
    return sorted(m.json["type"] for m in messages)


async def test_a_receiver_that_was_down_gets_everything_when_it_is_back(
    database_url: str,
) -> None:
    with receiving() as receiver:
        receiver.stop()
        async with delivering(database_url) as services:
            tenant = await tenant_with(services, SessionSettings())
            endpoint = await services.webhooks.create(
                tenant.id, url=receiver.url, event_types=["user.created", "session.created"]
            )
            await add_user(services, tenant)
            await sign_in(services, tenant)
            await deliveries_until(
                services, tenant.id, lambda ds: len(ds) == 2 and all(d.attempts >= 2 for d in ds)
            )
            assert receiver.received() == []
            receiver.start()
            got = await receiver.arrived(lambda m: len(m) >= 2)
            done = await deliveries_until(
                services,
                tenant.id,
                lambda ds: all(d.status is DeliveryStatus.DELIVERED for d in ds),
            )
    assert _sign_in_events(got) == ["session.created", "user.created"]
    assert all(m.verified(endpoint.secret) for m in got)
    assert all(d.last_status_code == 204 and d.last_error is None for d in done)


async def test_a_delivery_given_up_on_is_kept_failed_and_can_be_replayed(
    database_url: str,
) -> None:
    with receiving() as receiver:
        receiver.answer = lambda _m: 500
        async with delivering(database_url, webhook_retry_for=0.3) as services:
            tenant = await tenant_with(services, SessionSettings())
            await services.webhooks.create(
                tenant.id, url=receiver.url, event_types=["user.created"]
            )
            await add_user(services, tenant)
            [failed] = await deliveries_until(
                services, tenant.id, lambda ds: [d.status for d in ds] == [DeliveryStatus.FAILED]
            )
            assert failed.last_status_code == 500
            assert failed.attempts >= 2
            tries = len(receiver.received())
            receiver.answer = lambda _m: 200
            assert await services.webhooks.replay_failed([tenant.id]) == 1
            await deliveries_until(
                services, tenant.id, lambda ds: [d.status for d in ds] == [DeliveryStatus.DELIVERED]
            )
            assert await services.webhooks.replay_event([tenant.id], failed.event_id) == 1
            got = await receiver.arrived(lambda m: len(m) == tries + 2)
    assert {m.id for m in got} == {str(failed.event_id)}


async def test_an_endpoint_hears_only_its_types_from_its_creation_on(database_url: str) -> None:
    with receiving() as receiver:
        async with delivering(database_url) as services:
            tenant = await tenant_with(services, SessionSettings())
            await add_user(services, tenant, "before")
            await services.webhooks.create(
                tenant.id, url=receiver.url, event_types=["session.created"]
            )
            await add_user(services, tenant)
            await sign_in(services, tenant)
            got = await receiver.arrived(lambda m: len(m) >= 1)
            await asyncio.sleep(0.3)
    assert (
        [m.json["type"] for m in receiver.received()]
        == ["session.created"]
        == [m.json["type"] for m in got]
    )
