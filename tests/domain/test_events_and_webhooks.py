"""Event payloads and the webhook rules: why a session ended, the retry schedule, what an endpoint
accepts and hears."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sessiond.domain.errors import InvalidInput
from sessiond.domain.events import ENDED_BECAUSE, EventType, instant, sessions_ended
from sessiond.domain.session import EndReason
from sessiond.domain.webhooks import (
    RetryPolicy,
    WebhookEndpoint,
    check_event_types,
    check_url,
    new_secret,
)

AT = datetime(2026, 7, 31, 10, 11, 12, 345678, tzinfo=UTC)


def test_every_end_reason_has_a_reason_the_events_name() -> None:
    assert set(ENDED_BECAUSE) == set(EndReason)
    tenant, session, user = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    [event] = sessions_ended(
        tenant, [(session, user)], reason=EndReason.EVICTED, by="session-limit", at=AT
    )
    assert event.type is EventType.SESSION_ENDED
    assert event.payload == {
        "session_id": str(session),
        "user_id": str(user),
        "reason": "evicted_by_limit",
        "ended_by": "session-limit",
        "ended_at": "2026-07-31T10:11:12.345Z",
    }


def test_instants_are_utc_with_milliseconds() -> None:
    east = timezone(timedelta(hours=2))
    assert instant(AT.astimezone(east)) == "2026-07-31T10:11:12.345Z"


def test_retries_double_up_to_the_cap_with_up_to_half_off() -> None:
    policy = RetryPolicy(first_delay=timedelta(seconds=5))
    assert [policy.delay(n, jitter=0.0).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert policy.delay(2, jitter=0.999).total_seconds() == pytest.approx(5.005)
    assert policy.delay(40, jitter=0.0) == policy.cap


def test_an_endpoint_takes_http_urls_and_known_event_types() -> None:
    assert check_url(" https://hooks.example/x ") == "https://hooks.example/x"
    for bad in (
        "ftp://hooks.example",
        "https://",
        "hooks.example",
        "https://h.example/" + "x" * 3000,
    ):
        with pytest.raises(InvalidInput):
            check_url(bad)
    assert check_event_types(["user.created", "user.created", "session.ended"]) == (
        EventType.USER_CREATED,
        EventType.SESSION_ENDED,
    )
    for bad_types in ([], ["session.flagged"]):
        with pytest.raises(InvalidInput):
            check_event_types(bad_types)
    assert new_secret().startswith("whsec_")
    assert new_secret() != new_secret()


def test_an_endpoint_hears_its_types_from_its_creation_on_while_enabled() -> None:
    endpoint = WebhookEndpoint(
        uuid.uuid4(), uuid.uuid4(), "https://h.example", (EventType.USER_CREATED,), "s", True, AT
    )
    assert endpoint.wants(EventType.USER_CREATED, AT)
    assert not endpoint.wants(EventType.USER_CREATED, AT - timedelta(milliseconds=1))
    assert not endpoint.wants(EventType.USER_DELETED, AT)
