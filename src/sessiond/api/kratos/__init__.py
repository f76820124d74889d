"""The Ory Kratos front door: sessions, identities and native self-service flows for one tenant."""

from __future__ import annotations

from sessiond.api.doors import Door, ServedTenant, door_app
from sessiond.api.fast_lane import FastLane
from sessiond.api.kratos import admin_sessions, identities, public, schema, selfservice
from sessiond.api.kratos.context import DoorConfig
from sessiond.api.kratos.errors import install_handlers, internal_error
from sessiond.api.kratos.nostore import NoStore
from sessiond.settings import Settings

PREFIXES = ("/admin/", "/sessions", "/self-service/", "/schemas/")


def create_door(settings: Settings) -> Door:
    app = door_app("sessiond: Ory Kratos", openapi_url=None)
    app.state.kratos = DoorConfig(
        tenant=ServedTenant(settings.kratos_tenant), proxies=settings.proxies()
    )
    install_handlers(app)
    for module in (public, admin_sessions, identities, selfservice, schema):
        app.include_router(module.router)
    fast = FastLane(app, gets={"/sessions/whoami": public.whoami})
    return Door(name="kratos", prefixes=PREFIXES, app=NoStore(fast), fault=internal_error)
