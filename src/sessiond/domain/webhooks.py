"""Webhook endpoints, the deliveries of events to them, and the retry schedule.

A delivery is one event for one endpoint. It is tried until the receiver answers 2xx; a failed try
is tried again after a delay that doubles (with jitter) up to `RETRY_CAP`, until `give_up_at`,
three days after the first try by default; then the delivery is kept as `failed` for a replay.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from sessiond.domain.errors import InvalidInput
from sessiond.domain.events import EventType

SECRET_PREFIX = "whsec_"
URL_MAX_LENGTH = 2048
RETRY_CAP = timedelta(hours=10)
ERROR_MAX_LENGTH = 512


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    id: uuid.UUID
    tenant_id: uuid.UUID
    url: str
    event_types: tuple[EventType, ...]
    secret: str = field(repr=False)
    enabled: bool
    created_at: datetime

    def wants(self, kind: EventType, occurred_at: datetime) -> bool:
        """An endpoint hears the types it names, from the moment it was made."""
        return self.enabled and kind in self.event_types and occurred_at >= self.created_at


@dataclass(frozen=True, slots=True)
class Delivery:
    id: uuid.UUID
    tenant_id: uuid.UUID
    event_id: uuid.UUID
    endpoint_id: uuid.UUID
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    give_up_at: datetime
    last_status_code: int | None
    last_error: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    first_delay: timedelta = timedelta(seconds=5)
    give_up_after: timedelta = timedelta(days=3)
    cap: timedelta = RETRY_CAP

    def delay(self, attempts: int, *, jitter: float) -> timedelta:
        """The wait after the `attempts`-th failed try; `jitter` in [0, 1) takes up to half off,
        so receivers that failed together are not all tried again at once."""
        doubled: timedelta = self.first_delay * (2 ** min(attempts - 1, 32))
        return min(doubled, self.cap) * (1 - jitter / 2)


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("the webhook URL must be an http or https URL", field="url")
    if len(url) > URL_MAX_LENGTH:
        raise InvalidInput(f"the webhook URL is longer than {URL_MAX_LENGTH}", field="url")
    return url.strip()


def check_event_types(names: Iterable[str]) -> tuple[EventType, ...]:
    known = {kind.value: kind for kind in EventType}
    chosen: list[EventType] = []
    for name in names:
        if name not in known:
            listed = ", ".join(known)
            raise InvalidInput(
                f"unknown event type {name[:64]!r} (one of {listed})", field="events"
            )
        if known[name] not in chosen:
            chosen.append(known[name])
    if not chosen:
        raise InvalidInput("a webhook needs at least one event type", field="events")
    return tuple(chosen)
