"""The root app: /healthz through the real ASGI stack, and requests routed to the door owning the
longest matching prefix, unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from sessiond.api.doors import BodyTooLarge, Door, DoorDispatch
from sessiond.api.kit import request_client, services_of
from sessiond.app import create_app
from sessiond.domain.tenant import Tenant
from sessiond.infra.client_ip import TrustedProxies
from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.helpers.asgi import app_client


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
        wrong_method = await http.post("/healthz")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": 404, "message": "sessiond has no endpoint at this path"}
    }
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == 405
    assert wrong_method.headers["allow"] == "GET"


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


BIG = b"x" * (1024 * 1024 + 1)


async def test_every_door_refuses_a_body_past_the_limit_in_its_own_shape(
    settings: Settings, services: Services, tenant: Tenant
) -> None:
    key = (await services.tenants.create_secret_key(tenant.id)).raw
    doors = replace(settings, kratos_tenant=tenant.slug, rocketchat_tenant=tenant.slug)
    async with app_client(doors, services) as http:
        pxyz = await http.post(
            "/api/sign-ins", content=BIG, headers={"x-public-key": tenant.public_key}
        )
        kratos = await http.post(
            "/admin/identities", content=BIG, headers={"authorization": f"Bearer {key}"}
        )
        rocketchat = await http.post("/api/v1/login", content=BIG)
    assert pxyz.status_code == 413
    assert pxyz.json()["status"] == "error"
    assert "larger than" in pxyz.json()["message"]
    assert kratos.status_code == 413
    assert kratos.json()["error"]["code"] == 413
    assert kratos.json()["error"]["status"] == "Request Entity Too Large"
    assert "larger than" in kratos.json()["error"]["reason"]
    assert rocketchat.status_code == 413
    assert rocketchat.json()["success"] is False


async def test_a_streamed_body_is_cut_off_at_the_limit_without_reading_the_rest() -> None:
    reads = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal reads
        for _ in range(64):
            reads += 1
            yield b"y" * (64 * 1024)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            await request.body()
        except BodyTooLarge as exc:
            response = JSONResponse({"refused": exc.status_code}, status_code=exc.status_code)
        else:
            response = JSONResponse({"refused": None})
        await response(scope, receive, send)

    dispatch = DoorDispatch(
        fallback=_echo("root"), doors=[Door(name="d", prefixes=("/d",), app=app)]
    )
    transport = httpx.ASGITransport(app=dispatch)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        answer = await http.post("/d", content=chunks())
    assert answer.json() == {"refused": 413}
    assert reads <= 17
