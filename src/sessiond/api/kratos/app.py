"""The Kratos door's app: its routes, its error handlers and the fast lane for whoami and the
native login flow."""

from __future__ import annotations

from sessiond.api.doors import Door
from sessiond.api.fast_lane import FastLane
from sessiond.api.kit import DoorConfig, ServedTenant, door_app
from sessiond.api.kratos import admin_sessions, identities, public, schema, selfservice
from sessiond.api.kratos.errors import ERROR_SCHEMA, install_handlers, internal_error
from sessiond.api.kratos.nostore import NoStore
from sessiond.settings import Settings

PREFIXES = ("/admin/", "/sessions", "/self-service/", "/schemas/", "/.well-known/ory/")
# Kratos keeps its public well-known files under /.well-known/ory/ (webauthn.js); its OpenAPI
# document, which Ory publishes for its SDKs, is served beside them.
OPENAPI_PATH = "/.well-known/ory/openapi.json"


def create_door(settings: Settings) -> Door:
    config = DoorConfig(
        name="kratos", proxies=settings.proxies(), tenant=ServedTenant(settings.kratos_tenant)
    )
    app = door_app(
        "sessiond: Ory Kratos", config, openapi_url=OPENAPI_PATH, error_schema=ERROR_SCHEMA
    )
    install_handlers(app)
    for module in (public, admin_sessions, identities, selfservice, schema):
        app.include_router(module.router)
    fast = FastLane(
        app,
        routes={
            ("GET", "/sessions/whoami"): public.whoami,
            ("GET", "/self-service/login/api"): selfservice.create_native_login_flow,
            ("POST", "/self-service/login"): selfservice.update_login_flow,
        },
    )
    return Door(name=config.name, prefixes=PREFIXES, app=NoStore(fast), fault=internal_error)
