"""What every door is built from and takes from a request, written once.

A door is a package with the same files: `app.py` (its `create_door`: the FastAPI app from
`door_app`, its `DoorConfig`, its routers and error handlers), `caller.py` (who is calling: the
tenant, the key or session token, the client), `errors.py` (its error body and its `ErrorTable`),
wire modules (its JSON shapes) and route modules. The pieces here are the ones every door needs
alike: the app, the configuration, the services, the client, the bearer token and the JSON body.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.requests import Request

from sessiond.api.openapi import Schema, with_errors
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.attempts import SignInStatus
from sessiond.domain.audit import Actor, ActorKind
from sessiond.domain.errors import InvalidInput
from sessiond.domain.sign_in_outcomes import SignInOutcome, outcome_of
from sessiond.domain.tenant import Tenant
from sessiond.domain.user import User
from sessiond.infra.client_ip import TrustedProxies, resolve_client
from sessiond.services.audit import act_as
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.sessions import Authenticated
from sessiond.services.sign_in import SignInResult

# FastAPI's own OpenTelemetry hooks ask for the configured providers on every request; sessiond
# does not set any up, so they stay off.
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
NOT_JSON = "the body is not valid JSON"
NOT_OBJECT = "the body must be a JSON object"
T = TypeVar("T")


@functools.lru_cache(maxsize=65_536)
def utc_text(moment: datetime, timespec: str) -> str:
    """`moment` in UTC as RFC 3339 with a `Z`, to `timespec` ("milliseconds", "microseconds"):
    every door writes times this way. Remembered, because a token check writes the same few
    instants (a session's expiry, its user's creation) on every request; equal instants in other
    offsets share an entry, which is right, as the text is the same UTC time."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


class ServedTenant:
    """The one tenant a door serves (Kratos, Rocket.Chat), named by its slug in the settings. Its
    id is looked up once: a served tenant cannot be deleted or have its slug changed (the pxyz
    door refuses both), so the id stays right for the life of the process."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        self._id: uuid.UUID | None = None

    async def id(self, services: Services) -> uuid.UUID:
        if self._id is None:
            self._id = (await services.tenants.get_by_slug(self.slug)).id
        return self._id

    async def get(self, services: Services) -> Tenant:
        return await services.tenants.get(await self.id(services))


@dataclass(frozen=True, slots=True)
class DoorConfig:
    """A door's settings, kept on its app (`app.state.door`)."""

    name: str  # as `/metrics` labels what the door counts
    proxies: TrustedProxies
    tenant: ServedTenant | None = None  # the one tenant Kratos and Rocket.Chat serve
    platform_key: str | None = None  # pxyz: the key that reaches every tenant
    served_slugs: frozenset[str] = frozenset()  # pxyz: tenants the other doors serve


@dataclass(frozen=True, slots=True)
class SessionCaller:
    """A caller known by a live session, and the request it came with. Its client is worked out
    when asked for: a token check does not need it, and parsing addresses costs more than the
    check itself."""

    auth: Authenticated
    request: Request

    @property
    def client(self) -> Client:
        return client_of(self.request)

    @property
    def user(self) -> User:
        return self.auth.record.user

    @property
    def tenant(self) -> Tenant:
        return self.auth.tenant


class DoorApp(FastAPI):
    """A door's FastAPI app, whose OpenAPI document gives its errors in the door's shape."""

    def __init__(self, *, error_schema: Schema, **options: Any) -> None:
        super().__init__(**options)
        self.error_schema = error_schema

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = with_errors(super().openapi(), self.error_schema)
        return self.openapi_schema


def door_app(
    title: str, config: DoorConfig, *, openapi_url: str | None, error_schema: Schema
) -> FastAPI:
    """A door's FastAPI app: orjson answers, its OpenAPI document where it publishes one (with
    `error_schema`, the door's error body, as every error answer), no documentation pages."""
    app = DoorApp(
        title=title,
        default_response_class=OrjsonResponse,
        openapi_url=openapi_url,
        docs_url=None,
        redoc_url=None,
        telemetry=NO_TELEMETRY,
        error_schema=error_schema,
    )
    app.state.door = config
    return app


def config_of(request: Request) -> DoorConfig:
    config: DoorConfig = request.app.state.door
    return config


def services_of(request: Request) -> Services:
    """The services the root app opened at startup (its lifespan state)."""
    services: Services = request.scope["state"]["services"]
    return services


def _served(request: Request) -> ServedTenant:
    served = config_of(request).tenant
    if served is None:
        raise RuntimeError("this door serves no single tenant")
    return served


async def served_tenant(request: Request) -> Tenant:
    """The tenant a single-tenant door serves."""
    return await _served(request).get(services_of(request))


async def served_tenant_id(request: Request) -> uuid.UUID:
    """Its id alone, known without a lookup after the first request."""
    return await _served(request).id(services_of(request))


async def counted_sign_in(request: Request, step: Awaitable[T]) -> T:
    """Awaits a door's sign-in step (a service call) and counts what became of it, by door and
    outcome, for `/metrics`. A step ends in a session (whatever it returns but a `SignInResult`
    without one), an attempt waiting for a second factor, or an error; an attempt that only
    started (pxyz's, without its password yet) is counted when its password comes."""
    metrics = services_of(request).deps.metrics
    door = config_of(request).name
    try:
        result = await step
    except Exception as exc:
        metrics.signed_in(door, outcome_of(exc))
        raise
    if not isinstance(result, SignInResult) or result.issued is not None:
        metrics.signed_in(door, SignInOutcome.SUCCESS)
    elif result.attempt.status is SignInStatus.NEEDS_FACTOR_TWO:
        metrics.signed_in(door, SignInOutcome.SECOND_FACTOR_REQUIRED)
    return result


def request_client(request: Request, trusted: TrustedProxies) -> Client:
    """The client behind `request`: IP and location from proxy headers only when the peer is a
    trusted proxy, the user agent and Host as sent."""
    peer = request.client.host if request.client else None
    address = resolve_client(peer=peer, headers=request.headers, trusted=trusted)
    return Client(
        user_agent=request.headers.get("user-agent", ""),
        ip=address.ip,
        location=address.location,
        host=request.headers.get("host"),
    )


def client_of(request: Request) -> Client:
    return request_client(request, config_of(request).proxies)


def over_https(request: Request) -> bool:
    """HTTPS to this server, or to a trusted proxy that says so in `X-Forwarded-Proto`: where a
    cookie is marked Secure."""
    if request.url.scheme == "https":
        return True
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    peer = request.client.host if request.client else None
    return forwarded == "https" and peer is not None and config_of(request).proxies.contains(peer)


def acting(request: Request, kind: ActorKind, actor_id: str) -> None:
    """The request comes from an administrator: its actions go to the audit trail as theirs."""
    act_as(Actor(kind, actor_id, client_of(request).ip))


def bearer_token(request: Request) -> str | None:
    """The token of `Authorization: Bearer <token>`, if the request carries one."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def parse_json(raw: str | bytes) -> Any:
    """The decoded value; `ValueError` for anything that is not JSON. orjson refuses what Go's and
    JavaScript's decoders refuse too (NaN, numbers past a double) and stops at a nesting limit with
    a decode error, never a `RecursionError`."""
    return orjson.loads(raw)


async def json_body(request: Request, *, empty: bytes = b"null") -> Any:
    """The request's JSON body (`empty` stands in for a blank one); `InvalidInput`, which every
    door answers with its 400, when it is not JSON."""
    try:
        return parse_json((await request.body()).strip() or empty)
    except ValueError:
        raise InvalidInput(NOT_JSON) from None


async def json_object(request: Request, *, empty: bytes = b"null") -> dict[str, Any]:
    body = await json_body(request, empty=empty)
    if not isinstance(body, dict):
        raise InvalidInput(NOT_OBJECT)
    return body
