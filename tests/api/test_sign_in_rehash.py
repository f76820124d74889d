"""Every door's password sign-in upgrades a hash made with outdated parameters, in the sign-in's
own transaction: pxyz in one step and in two, Kratos's login flow, Rocket.Chat's login with the
password and with its SHA-256 digest."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from sessiond.domain.user import Email, User
from sessiond.infra.passwords import PasswordHasher
from sessiond.services.container import Services
from sessiond.services.users import NewUser
from sessiond.settings import Settings
from tests.helpers.asgi import EveryDoor, every_door

PASSWORD = "correct horse battery"
AGENT = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"}


@pytest.fixture
async def doors(settings: Settings, services: Services) -> AsyncIterator[EveryDoor]:
    """One tenant served by all three doors."""
    async with every_door(settings, services) as served:
        served.http.headers.update(AGENT)
        yield served


async def _pxyz_one_step(doors: EveryDoor) -> None:
    body = {"identifier": "ada@example.com", "strategy": "email_password", "password": PASSWORD}
    headers = {"x-public-key": doors.tenant.public_key}
    answer = await doors.http.post("/api/sign-ins", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["data"]["signInAttempt"]["status"] == "complete"


async def _pxyz_two_steps(doors: EveryDoor) -> None:
    headers = {"x-public-key": doors.tenant.public_key}
    start = {"identifier": "ada", "strategy": "username_password"}
    started = await doors.http.post("/api/sign-ins", headers=headers, json=start)
    assert started.status_code == 201, started.text
    attempt = started.json()["data"]["signInAttempt"]["id"]
    url = f"/api/sign-ins/{attempt}/attempt-first-factor"
    answer = await doors.http.post(url, headers=headers, json={"password": PASSWORD})
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["signInAttempt"]["status"] == "complete"


async def _kratos_flow(doors: EveryDoor) -> None:
    flow = (await doors.http.get("/self-service/login/api")).json()
    body = {"method": "password", "identifier": "ada", "password": PASSWORD}
    answer = await doors.http.post(f"/self-service/login?flow={flow['id']}", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["session_token"]


async def _rocketchat_password(doors: EveryDoor) -> None:
    answer = await doors.http.post("/api/v1/login", json={"user": "ada", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "success"


async def _rocketchat_digest(doors: EveryDoor) -> None:
    digest = hashlib.sha256(PASSWORD.encode()).hexdigest()
    password = {"digest": digest, "algorithm": "sha-256"}
    answer = await doors.http.post("/api/v1/login", json={"user": "ada", "password": password})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "success"


SIGN_INS: dict[str, Callable[[EveryDoor], Awaitable[None]]] = {
    "pxyz in one step": _pxyz_one_step,
    "pxyz in two steps": _pxyz_two_steps,
    "kratos login flow": _kratos_flow,
    "rocketchat password": _rocketchat_password,
    "rocketchat sha-256 digest": _rocketchat_digest,
}


async def _user_with_an_outdated_hash(doors: EveryDoor) -> tuple[User, str]:
    new = NewUser(username="ada", emails=(Email("ada@example.com"),), password=PASSWORD)
    user = await doors.services.users.create(doors.tenant.id, new)
    older = await PasswordHasher(time_cost=2, memory_cost=2048).hash(PASSWORD)
    assert doors.services.deps.passwords.needs_rehash(older), "the tests hash with t=1, m=1024"
    async with doors.services.deps.store.unit_of_work() as uow:
        assert await uow.users.set_password_hash(
            user.id, new_hash=older, replacing=user.password_hash or "", at=user.updated_at
        )
        await uow.commit()
    return user, older


@pytest.mark.parametrize("path", list(SIGN_INS))
async def test_a_sign_in_upgrades_an_outdated_hash(doors: EveryDoor, path: str) -> None:
    user, older = await _user_with_an_outdated_hash(doors)

    await SIGN_INS[path](doors)

    stored = (await doors.services.users.get(doors.tenant.id, user.id)).password_hash
    passwords = doors.services.deps.passwords
    assert stored is not None
    assert stored != older
    assert not passwords.needs_rehash(stored)
    assert await passwords.verify(stored, PASSWORD)
    await SIGN_INS[path](doors)  # and the upgraded hash signs in through the same door
