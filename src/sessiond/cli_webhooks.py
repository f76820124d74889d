"""`sessiond webhooks`: a tenant's webhook endpoints, and the deliveries of events to them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import click

from sessiond.cli_kit import with_services
from sessiond.domain.events import EventType, instant
from sessiond.domain.ids import parse_id, render_canonical
from sessiond.domain.webhooks import Delivery, DeliveryStatus, WebhookEndpoint
from sessiond.services.container import Services


@click.group()
def webhooks() -> None:
    """Webhook endpoints, and the deliveries of events to them (docs/events.md)."""


def _say(as_json: bool, payload: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(payload) if as_json else text)


def endpoint_payload(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": render_canonical(endpoint.id),
        "url": endpoint.url,
        "events": [t.value for t in endpoint.event_types],
        "enabled": endpoint.enabled,
        "createdAt": instant(endpoint.created_at),
    }


def delivery_payload(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": render_canonical(delivery.id),
        "eventId": render_canonical(delivery.event_id),
        "eventType": delivery.event_type.value,
        "webhookId": render_canonical(delivery.endpoint_id),
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "nextAttemptAt": instant(delivery.next_attempt_at),
        "lastStatusCode": delivery.last_status_code,
        "lastError": delivery.last_error,
        "updatedAt": instant(delivery.updated_at),
    }


async def _tenant_ids(services: Services, tenant_slug: str | None) -> list[uuid.UUID]:
    if tenant_slug is not None:
        return [(await services.tenants.get_by_slug(tenant_slug)).id]
    return [tenant.id for tenant in await services.tenants.list_all()]


@webhooks.command("create")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--url", required=True, help="Where to POST the events (http or https).")
@click.option(
    "--event",
    "events",
    multiple=True,
    required=True,
    type=click.Choice([t.value for t in EventType]),
    help="An event type to send; repeat for several.",
)
@click.option("--json", "as_json", is_flag=True)
@with_services
async def webhooks_create(
    services: Services, tenant_slug: str, url: str, events: tuple[str, ...], as_json: bool
) -> None:
    """Add an endpoint; its signing secret is printed this once."""
    tenant = await services.tenants.get_by_slug(tenant_slug)
    endpoint = await services.webhooks.create(tenant.id, url=url, event_types=events)
    payload = {**endpoint_payload(endpoint), "secret": endpoint.secret}
    text = (
        f"webhook {payload['id']} sends {', '.join(payload['events'])} to {endpoint.url}\n"
        f"signing secret (shown once): {endpoint.secret}"
    )
    _say(as_json, payload, text)


@webhooks.command("list")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--json", "as_json", is_flag=True)
@with_services
async def webhooks_list(services: Services, tenant_slug: str, as_json: bool) -> None:
    """A tenant's endpoints, oldest first (their secrets are not shown)."""
    tenant = await services.tenants.get_by_slug(tenant_slug)
    for endpoint in await services.webhooks.endpoints(tenant.id):
        payload = endpoint_payload(endpoint)
        text = f"{payload['id']}\t{endpoint.url}\t{','.join(payload['events'])}"
        _say(as_json, payload, text)


@webhooks.command("delete")
@click.option("--tenant", "tenant_slug", required=True)
@click.argument("webhook_id")
@click.option("--json", "as_json", is_flag=True)
@with_services
async def webhooks_delete(
    services: Services, tenant_slug: str, webhook_id: str, as_json: bool
) -> None:
    """Delete an endpoint, and its deliveries with it (pending ones are not sent)."""
    tenant = await services.tenants.get_by_slug(tenant_slug)
    endpoint_id = parse_id(webhook_id, what="webhook id")
    await services.webhooks.delete(tenant.id, endpoint_id)
    shown = render_canonical(endpoint_id)
    _say(as_json, {"id": shown, "deleted": True}, f"webhook {shown} deleted")


@webhooks.command("list-deliveries")
@click.option("--tenant", "tenant_slug", default=None, help="One tenant (default: all).")
@click.option("--status", type=click.Choice([s.value for s in DeliveryStatus]), default=None)
@click.option("--event", "event_id", default=None, help="The deliveries of one event.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True)
@with_services
async def webhooks_list_deliveries(
    services: Services,
    tenant_slug: str | None,
    status: str | None,
    event_id: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Deliveries, newest first: status, tries, the next try and the last answer."""
    found = await services.webhooks.deliveries(
        await _tenant_ids(services, tenant_slug),
        status=None if status is None else DeliveryStatus(status),
        event_id=None if event_id is None else parse_id(event_id, what="event id"),
        limit=limit,
    )
    for delivery in found:
        p = delivery_payload(delivery)
        answer = p["lastStatusCode"] or p["lastError"] or "-"
        text = (
            f"{p['eventId']}\t{p['eventType']}\t{p['webhookId']}\t{p['status']}\t"
            f"{p['attempts']} tries\tnext {p['nextAttemptAt']}\t{answer}"
        )
        _say(as_json, p, text)


@webhooks.command("replay")
@click.argument("event_id", required=False)
@click.option("--failed", is_flag=True, help="Every delivery that was given up on.")
@click.option("--tenant", "tenant_slug", default=None, help="One tenant (default: all).")
@click.option("--json", "as_json", is_flag=True)
@with_services
async def webhooks_replay(
    services: Services, event_id: str | None, failed: bool, tenant_slug: str | None, as_json: bool
) -> None:
    """Send an event again (to its endpoints, and to newer ones of its type), or, with --failed,
    every delivery that failed; each starts a fresh retry window."""
    if (event_id is None) == (not failed):
        raise click.UsageError("give EVENT_ID or --failed")
    tenant_ids = await _tenant_ids(services, tenant_slug)
    if event_id is not None:
        count = await services.webhooks.replay_event(
            tenant_ids, parse_id(event_id, what="event id")
        )
    else:
        count = await services.webhooks.replay_failed(tenant_ids)
    _say(as_json, {"replayed": count}, f"{count} deliveries due again")
