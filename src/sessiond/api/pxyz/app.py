"""The pxyz door's ASGI app: its routers, its error bodies, and what it reads from Settings."""

from __future__ import annotations

from sessiond.api.doors import Door
from sessiond.api.kit import DoorConfig, door_app
from sessiond.api.pxyz import (
    attempts,
    frontend,
    providers,
    sessions,
    tenants,
    users,
    webhooks,
    well_known,
)
from sessiond.api.pxyz.errors import ERROR_SCHEMA, install_error_handlers, internal_error
from sessiond.settings import Settings

PREFIXES = ("/api/v0/", "/api/sign-ins", "/api/sign-ups", "/api/user/", "/api/.well-known/")


def create_door(settings: Settings) -> Door:
    config = DoorConfig(
        name="pxyz",
        proxies=settings.proxies(),
        platform_key=settings.platform_key,
        # The tenants other doors serve by configuration: deleting one would take them down.
        served_slugs=frozenset({settings.kratos_tenant, settings.rocketchat_tenant}),
    )
    app = door_app(
        "sessiond: pxyz", config, openapi_url="/api/v0/openapi.json", error_schema=ERROR_SCHEMA
    )
    install_error_handlers(app)
    for module in (sessions, attempts, users, providers, tenants, webhooks, frontend, well_known):
        app.include_router(module.router)
    return Door(name=config.name, prefixes=PREFIXES, app=app, fault=internal_error)
