"""The root app: /healthz through the real ASGI stack, and requests routed to the door owning the
longest matching prefix, unchanged."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sessiond.api.doors import Door, DoorDispatch, request_client, services_of
from sessiond.app import create_app
from sessiond.infra.client_ip import TrustedProxies
from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.asgi import app_client


def _echo(name: str) -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"door": name, "path": request.url.path})

    return Starlette(routes=[Route("/{path:path}", echo)])


async def test_healthz_answers_through_the_root_app(settings: Settings, services: Services) -> None:
    async with app_client(settings, services) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_a_path_no_door_owns_is_the_root_apps_404(
    settings: Settings, services: Services
) -> None:
    async with app_client(settings, services) as http:
        response = await http.get("/no/such/door")
    assert response.status_code == 404


async def test_the_longest_prefix_wins_and_the_path_arrives_whole() -> None:
    doors = [
        Door(name="wide", prefixes=("/api/",), app=_echo("wide")),
        Door(name="narrow", prefixes=("/api/v1/", "/api/info"), app=_echo("narrow")),
    ]
    app = DoorDispatch(fallback=_echo("root"), doors=doors)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        seen = {
            path: (await http.get(path)).json()
            for path in ("/api/v1/me", "/api/info", "/api/information", "/api/x", "/apix", "/")
        }
    assert seen == {
        "/api/v1/me": {"door": "narrow", "path": "/api/v1/me"},
        "/api/info": {"door": "narrow", "path": "/api/info"},
        "/api/information": {"door": "wide", "path": "/api/information"},
        "/api/x": {"door": "wide", "path": "/api/x"},
        "/apix": {"door": "root", "path": "/apix"},
        "/": {"door": "root", "path": "/"},
    }


async def test_a_door_sees_the_services_and_the_client_behind_a_trusted_proxy(
    settings: Settings, services: Services
) -> None:
    seen: dict[str, object] = {}

    async def probe(request: Request) -> JSONResponse:
        seen["services"] = services_of(request)
        client = request_client(request, TrustedProxies.parse("10.0.0.0/8"))
        return JSONResponse({"ip": client.ip, "ua": client.user_agent, "host": client.host})

    door = Door(name="probe", prefixes=("/probe",), app=Starlette(routes=[Route("/probe", probe)]))
    app = create_app(settings, services=services, doors=[door])
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("10.1.2.3", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://sessiond.test") as http:
            answer = await http.get(
                "/probe", headers={"x-forwarded-for": "198.51.100.9", "user-agent": "probe/1"}
            )
    assert answer.json() == {"ip": "198.51.100.9", "ua": "probe/1", "host": "sessiond.test"}
    assert seen["services"] is services
