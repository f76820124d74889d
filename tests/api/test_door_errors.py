"""Every door answers each kind of domain error on purpose, a fault with its own 500 logged once
with a request id, and a database outage with its own 503, logged."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

import sessiond
from sessiond.api.errors import ErrorTable
from sessiond.api.kratos.errors import ERRORS as KRATOS
from sessiond.api.pxyz.errors import ERRORS as PXYZ
from sessiond.api.rocketchat.errors import ERRORS as ROCKETCHAT
from sessiond.domain.errors import SessiondError, StorageUnavailable
from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.helpers.asgi import EveryDoor, every_door

TABLES: dict[str, ErrorTable[Any]] = {"kratos": KRATOS, "rocketchat": ROCKETCHAT, "pxyz": PXYZ}


def _kinds() -> set[type[SessiondError]]:
    """Every kind of error the domain, infra and services layers define."""
    for module in pkgutil.walk_packages(sessiond.__path__, "sessiond."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    found: set[type[SessiondError]] = set()
    pending = [SessiondError]
    while pending:
        kind = pending.pop()
        found.add(kind)
        pending.extend(kind.__subclasses__())
    return {kind for kind in found if not kind.__module__.startswith("sessiond.api.")}


@pytest.mark.parametrize("door", sorted(TABLES))
def test_every_kind_of_domain_error_has_an_answer(door: str) -> None:
    kinds = _kinds()
    assert len(kinds) > 20
    missing = sorted(kind.__name__ for kind in kinds if kind not in TABLES[door].entries)
    assert missing == []


@pytest.fixture
async def doors(settings: Settings, services: Services) -> AsyncIterator[EveryDoor]:
    async with every_door(settings, services) as served:
        yield served


def _kratos(doors: EveryDoor) -> Awaitable[httpx.Response]:
    return doors.http.get("/sessions/whoami", headers={"X-Session-Token": "ory_st_x"})


def _rocketchat(doors: EveryDoor) -> Awaitable[httpx.Response]:
    headers = {"X-User-Id": "u", "X-Auth-Token": "t"}
    return doors.http.get("/api/v1/me", headers=headers)


def _pxyz(doors: EveryDoor) -> Awaitable[httpx.Response]:
    headers = {"x-public-key": doors.tenant.public_key, "Authorization": "Bearer t"}
    return doors.http.get("/api/user/sessions", headers=headers)


REQUESTS: dict[str, Callable[[EveryDoor], Awaitable[httpx.Response]]] = {
    "kratos": _kratos,
    "rocketchat": _rocketchat,
    "pxyz": _pxyz,
}
SHAPES: dict[str, Callable[[dict[str, Any], int], bool]] = {
    "kratos": lambda body, status: body["error"]["code"] == status,
    "rocketchat": lambda body, status: body["success"] is False and "error" in body,
    "pxyz": lambda body, status: body["status"] == "error" and "code" in body,
}


def _failing(services: Services, monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    """Token checks fail with `error`: a fault injected where every door reaches the store."""

    async def authenticate(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(services.sessions, "authenticate", authenticate)


def _assert_a_500_logged_once(
    answer: httpx.Response, door: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The door's own 500, and one ERROR line with the traceback and the answer's request id."""
    assert answer.status_code == 500
    assert SHAPES[door](answer.json(), 500)
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1
    assert answer.headers["x-request-id"] in logged[0].getMessage()
    assert logged[0].exc_info is not None


@pytest.mark.parametrize("door", sorted(REQUESTS))
async def test_a_fault_is_the_door_s_500_logged_once_with_its_request_id(
    doors: EveryDoor,
    services: Services,
    door: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _failing(services, monkeypatch, RuntimeError("a bug"))
    with caplog.at_level(logging.INFO):
        answer = await REQUESTS[door](doors)

    _assert_a_500_logged_once(answer, door, caplog)


@pytest.mark.parametrize("door", sorted(REQUESTS))
async def test_an_outage_is_the_door_s_503_logged(
    doors: EveryDoor,
    services: Services,
    door: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _failing(services, monkeypatch, StorageUnavailable("the database failed while testing"))
    with caplog.at_level(logging.INFO):
        answer = await REQUESTS[door](doors)

    assert answer.status_code == 503
    assert SHAPES[door](answer.json(), 503)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage().split(" [request ")[0] for r in warnings] == [
        f"{door}: the database failed while testing"
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


SIGN_IN_FAULTS: dict[str, tuple[str, str, Callable[[EveryDoor], Awaitable[httpx.Response]]]] = {
    "kratos": ("flows", "start_login", lambda d: d.http.get("/self-service/login/api")),
    "rocketchat": (
        "sign_ins",
        "password",
        lambda d: d.http.post("/api/v1/login", json={"user": "u", "password": "p4ssw0rd!"}),
    ),
}


@pytest.mark.parametrize("door", sorted(SIGN_IN_FAULTS))
async def test_a_fault_in_a_fast_lane_sign_in_is_the_door_s_500_logged_once(
    doors: EveryDoor,
    services: Services,
    door: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    service, method, send = SIGN_IN_FAULTS[door]

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(getattr(services, service), method, broken)
    with caplog.at_level(logging.INFO):
        answer = await send(doors)

    _assert_a_500_logged_once(answer, door, caplog)


async def _kratos_nul(doors: EveryDoor, key: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    return await doors.http.get("/admin/identities?credentials_identifier=a%00b", headers=headers)


async def _rocketchat_nul(doors: EveryDoor, key: str) -> httpx.Response:
    return await doors.http.post("/api/v1/login", json={"user": "a\u0000", "password": "p4ss!"})


async def _pxyz_nul(doors: EveryDoor, key: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    return await doors.http.get("/api/v0/tenants/slug/%00", headers=headers)


NUL_REQUESTS: dict[str, Callable[[EveryDoor, str], Awaitable[httpx.Response]]] = {
    "kratos": _kratos_nul,
    "rocketchat": _rocketchat_nul,
    "pxyz": _pxyz_nul,
}


@pytest.mark.parametrize("door", sorted(NUL_REQUESTS))
async def test_a_nul_character_is_the_door_s_400_not_an_outage(
    doors: EveryDoor, services: Services, door: str, caplog: pytest.LogCaptureFixture
) -> None:
    key = (await services.tenants.create_secret_key(doors.tenant.id)).raw
    with caplog.at_level(logging.INFO):
        answer = await NUL_REQUESTS[door](doors, key)

    assert answer.status_code == 400
    assert SHAPES[door](answer.json(), 400)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
