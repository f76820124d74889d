"""The ASGI application: one FastAPI app, each front door mounted as its own router."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from sessiond import __version__
from sessiond.api.responses import OrjsonResponse
from sessiond.compose import open_services
from sessiond.domain.errors import StorageUnavailable
from sessiond.services.container import Services
from sessiond.settings import CONFIG_ENV, Settings


def create_app(settings: Settings, *, services: Services | None = None) -> FastAPI:
    """The app for `settings`. Tests may hand in ready `services`; the app then leaves them open."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = services is None
        app.state.services = services or await open_services(settings)
        try:
            await asyncio.to_thread(app.state.services.deps.agents.warm)
            yield
        finally:
            if own:
                await app.state.services.close()

    app = FastAPI(
        title="sessiond",
        version=__version__,
        lifespan=lifespan,
        default_response_class=OrjsonResponse,
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> OrjsonResponse:
        current: Services = app.state.services
        try:
            await current.deps.store.ping()
        except StorageUnavailable:
            return OrjsonResponse({"status": "unavailable"}, status_code=503)
        return OrjsonResponse({"status": "ok"})

    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` workers: the same settings the CLI read."""
    config = os.environ.get(CONFIG_ENV)
    return create_app(Settings.load(os.environ, Path(config) if config else None))
