"""The ASGI application: a small root app (lifespan, /healthz) and the front doors beside it."""

from __future__ import annotations

import asyncio
import gc
import hmac
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp

from sessiond import __version__
from sessiond.api import kratos, pxyz, rocketchat
from sessiond.api.doors import Door, DoorDispatch
from sessiond.api.kit import NO_TELEMETRY, bearer_token, services_of
from sessiond.api.responses import OrjsonResponse
from sessiond.compose import open_services
from sessiond.domain.errors import StorageUnavailable
from sessiond.infra.metrics import CONTENT_TYPE, Metrics, multiprocess_dir
from sessiond.services.container import Services
from sessiond.settings import Settings, settings_from_environment
from sessiond.web.app import create_door as create_web_door


def front_doors(settings: Settings) -> list[Door]:
    return [
        pxyz.create_door(settings),
        kratos.create_door(settings),
        rocketchat.create_door(settings),
        create_web_door(settings),
    ]


def create_app(
    settings: Settings,
    *,
    services: Services | None = None,
    doors: list[Door] | None = None,
    metrics: Metrics | None = None,
) -> ASGIApp:
    """The app for `settings`, with its front doors unless `doors` names others. Tests may hand in
    ready `services`; the app then leaves them open and does not start their cache feed.
    `metrics` is for the services the app opens itself (those handed in bring their own).

    The services live in the lifespan state, so every door's requests see them as
    `request.state.services` (see `api.doors.services_of`).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        own = services is None
        current = services or await open_services(settings, metrics=metrics)
        try:
            await asyncio.to_thread(current.deps.agents.warm)
            if own:  # services handed in by a test keep their cache unbelieved unless it starts it
                await current.feed.start()
                if settings.webhooks_deliver:
                    await current.deliverer.start()
                # What start-up built lives as long as the process: keep it out of the
                # collector's full passes, which otherwise stall a busy server for milliseconds.
                gc.freeze()
            yield {"services": current}
        finally:
            if own:
                await current.close()

    app = FastAPI(
        title="sessiond",
        version=__version__,
        lifespan=lifespan,
        default_response_class=OrjsonResponse,
        telemetry=NO_TELEMETRY,
    )

    app.add_api_route("/healthz", healthz, include_in_schema=False)
    app.add_api_route("/healthz/token-cache", token_cache, include_in_schema=False)
    if settings.metrics_enabled:
        app.state.metrics_token = settings.metrics_token
        app.add_api_route("/metrics", metrics_text, include_in_schema=False)
    app.add_exception_handler(HTTPException, not_served)

    return DoorDispatch(fallback=app, doors=front_doors(settings) if doors is None else doors)


# The handlers are module functions that find the services in the request, not closures over the
# app: FastAPI keeps every endpoint it has seen in module-level caches, and a closure would keep its
# app and services alive with it (one per test in the test suite).
async def healthz(request: Request) -> OrjsonResponse:
    try:
        await services_of(request).deps.store.ping()
    except StorageUnavailable:
        return OrjsonResponse({"status": "unavailable"}, status_code=503)
    return OrjsonResponse({"status": "ok"})


NOT_SERVED = {
    404: "sessiond has no endpoint at this path",
    405: "this endpoint does not take that method",
}


async def not_served(request: Request, exc: Exception) -> OrjsonResponse:
    """A path no door owns answers in a plain shape of its own, not in any door's nor FastAPI's."""
    assert isinstance(exc, HTTPException)
    message = NOT_SERVED.get(exc.status_code, str(exc.detail))
    return OrjsonResponse(
        {"error": {"code": exc.status_code, "message": message}},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def token_cache(request: Request) -> OrjsonResponse:
    cache = services_of(request).deps.token_cache
    return OrjsonResponse(
        {
            "feed": cache.feed.value,
            "trusted": cache.trusted,
            "entries": len(cache),
            "hits": cache.hits,
            "misses": cache.misses,
            "unbelieved": cache.unbelieved,
        }
    )


async def metrics_text(request: Request) -> Response:
    """The Prometheus scrape: every worker's counts, and the live sessions read now (left out
    while the database is down, so that its error counts still answer)."""
    token: str | None = request.app.state.metrics_token
    if token is not None and not _bears(request, token):
        return OrjsonResponse(
            {"error": {"code": 401, "message": "/metrics asks for its bearer token"}},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    services = services_of(request)
    try:
        live: dict[str, int] | None = await services.stats.unexpired_sessions()
    except StorageUnavailable:
        live = None
    text = await asyncio.to_thread(services.deps.metrics.exposition, live_sessions=live)
    return Response(text, media_type=CONTENT_TYPE)


def _bears(request: Request, token: str) -> bool:
    presented = bearer_token(request)
    return presented is not None and hmac.compare_digest(presented.encode(), token.encode())


def app_from_environment() -> ASGIApp:
    """Factory for `uvicorn --factory` workers: the same settings the CLI read, and the metrics
    directory `serve --workers N` shares among them."""
    return create_app(
        settings_from_environment(), metrics=Metrics(multiprocess_dir=multiprocess_dir(os.environ))
    )
