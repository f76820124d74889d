"""Every door answers generated requests, valid and invalid, as its OpenAPI document says: never a
5xx, and every answer in the documented shape. The documents are the ones each door serves, the
Kratos one with the answers of the official SDK's models written in, and for pxyz also the contract
its clients rely on (pxyz-swagger.json, the operations sessiond implements). The cases come from
Schemathesis (tests/helpers/fuzz.py), sent with a valid key or a fresh session to the real app in
process."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from schemathesis import APIOperation

from sessiond.api.kratos.caller import TOKEN_FORMAT as KRATOS_TOKENS
from sessiond.domain.ids import render_hex
from sessiond.domain.session import AAL
from sessiond.domain.tenant import Tenant
from sessiond.domain.user import User
from sessiond.services.container import Services
from sessiond.services.context import DEFAULT_TOKEN_FORMAT, Client, TokenFormat
from sessiond.services.issuing import IssuedSession
from sessiond.services.sign_in import PasswordSignIn, SignInResult
from sessiond.services.users import NewUser
from sessiond.settings import Settings
from tests.helpers.asgi import EveryDoor, every_door
from tests.helpers.fuzz import Credentials, Known, fuzz
from tests.helpers.kratos_contract import with_sdk_answers
from tests.helpers.pxyz_contract import contract_document
from tests.helpers.tenants import unique_slug
from tests.helpers.users import PASSWORD

USERNAME = "fuzzer"
# Sign-ins of the test's own come from an address the fuzzed requests do not, so the guesses
# those make never throttle them.
OWN_CLIENT = Client(user_agent="sessiond-fuzz", ip="198.51.100.20", host="sessiond.test")
PXYZ_BACKEND = "/api/v0/"


@dataclasses.dataclass(frozen=True)
class Target:
    """A user of an operation's own, signed in once, for the cases that change or delete what
    they name."""

    user: User
    signed: SignInResult

    @property
    def session_id(self) -> uuid.UUID:
        assert self.signed.issued is not None
        return self.signed.issued.record.session.id


@dataclasses.dataclass(frozen=True)
class Fuzzed:
    doors: EveryDoor
    user: User
    key: str
    platform_key: str

    @property
    def tenant(self) -> Tenant:
        return self.doors.tenant

    async def session(self, token_format: TokenFormat = DEFAULT_TOKEN_FORMAT) -> IssuedSession:
        """A fresh session of the test's user: an operation may end the one it was given."""
        issued = (await self._sign_in(USERNAME, token_format)).issued
        assert issued is not None
        return issued

    async def target(self, token_format: TokenFormat = DEFAULT_TOKEN_FORMAT) -> Target:
        name = unique_slug("target")
        new = NewUser(username=name, password=PASSWORD)
        user = await self.doors.services.users.create(self.tenant.id, new)
        return Target(user, await self._sign_in(name, token_format))

    async def _sign_in(self, identifier: str, token_format: TokenFormat) -> SignInResult:
        return await self.doors.services.sign_ins.password(
            PasswordSignIn(
                self.tenant.id,
                identifier=identifier,
                password=PASSWORD,
                client=OWN_CLIENT,
                token_format=token_format,
            )
        )

    async def token(self, token_format: TokenFormat = DEFAULT_TOKEN_FORMAT) -> str:
        return (await self.session(token_format)).token

    async def served(self, path: str) -> dict[str, Any]:
        answer = await self.doors.http.get(path)
        assert answer.status_code == 200, answer.text
        document: dict[str, Any] = answer.json()
        return document


@pytest.fixture
async def fuzzed(settings: Settings, services: Services) -> AsyncIterator[Fuzzed]:
    async with every_door(settings, services) as doors:
        admin = NewUser(username=USERNAME, password=PASSWORD, roles=("user", "admin"))
        user = await services.users.create(doors.tenant.id, admin)
        key = (await services.tenants.create_secret_key(doors.tenant.id)).raw
        platform = (await services.tenants.create_platform_key()).raw
        yield Fuzzed(doors, user, key, platform)


def _pxyz_id(value: uuid.UUID) -> str:
    return "c" + value.hex


def _pxyz_known(fuzzed: Fuzzed, prefix: str) -> Known:
    """The test's tenant, and a target's user, session and sign-in, where a case names them; never
    the tenant's key rotation, which would lock the test out."""

    async def known(operation: APIOperation) -> dict[str, str]:
        path = prefix + operation.path
        target = await fuzzed.target()
        values = {"tenantId": _pxyz_id(fuzzed.tenant.id), "userId": _pxyz_id(target.user.id)}
        ids = {
            "/api/v0/auth/users/": target.user.id,
            "/api/v0/auth/sessions/": target.session_id,
            "/api/v0/auth/sign-ins/": target.signed.attempt.id,
            "/api/sign-ins/": target.signed.attempt.id,
            "/api/v0/auth/tenants/": fuzzed.tenant.id,
            "/api/v0/tenants/{id}": fuzzed.tenant.id,
        }
        for start, value in ids.items():
            if path.startswith(start) and not path.endswith("/rotate-secret-key"):
                values["id"] = _pxyz_id(value)
        return values

    return known


def _pxyz_credentials(fuzzed: Fuzzed, prefix: str) -> Credentials:
    async def credentials(operation: APIOperation) -> dict[str, str]:
        path = prefix + operation.path
        if not path.startswith(PXYZ_BACKEND):
            token = await fuzzed.token()
            return {"authorization": f"Bearer {token}", "x-public-key": fuzzed.tenant.public_key}
        tenants = path.startswith(("/api/v0/tenants", "/api/v0/tenants/slug/"))
        key = fuzzed.platform_key if tenants else fuzzed.key
        return {"authorization": f"Bearer {key}"}

    return credentials


async def test_pxyz_answers_as_its_served_document_says(fuzzed: Fuzzed) -> None:
    document = await fuzzed.served("/api/v0/openapi.json")
    await fuzz(
        fuzzed.doors.http,
        document,
        credentials=_pxyz_credentials(fuzzed, ""),
        known=_pxyz_known(fuzzed, ""),
    )


async def test_pxyz_answers_as_the_pxyz_contract_says(fuzzed: Fuzzed) -> None:
    await fuzz(
        fuzzed.doors.http,
        contract_document(),
        credentials=_pxyz_credentials(fuzzed, "/api/v0"),
        known=_pxyz_known(fuzzed, "/api/v0"),
        base_url="http://sessiond.test/api/v0",
    )


async def test_kratos_answers_as_its_served_document_says(fuzzed: Fuzzed) -> None:
    document = with_sdk_answers(await fuzzed.served("/.well-known/ory/openapi.json"))

    async def credentials(operation: APIOperation) -> dict[str, str]:
        token = await fuzzed.token(KRATOS_TOKENS)
        return {"authorization": f"Bearer {fuzzed.key}", "x-session-token": token}

    async def known(operation: APIOperation) -> dict[str, str]:
        target = await fuzzed.target(KRATOS_TOKENS)
        if operation.path.startswith("/admin/"):
            return {"identity_id": str(target.user.id), "session_id": str(target.session_id)}
        if operation.path == "/sessions/{session_id}":
            return {"session_id": str((await fuzzed.session(KRATOS_TOKENS)).record.session.id)}
        flows = fuzzed.doors.services.flows
        if operation.path.startswith("/self-service/login"):
            login = await flows.start_login(
                fuzzed.tenant.id, aal=AAL.AAL1, session_token=None, client=OWN_CLIENT
            )
            return {"flow": str(login.id), "id": str(login.id)}
        if operation.path.startswith("/self-service/registration"):
            registration = await flows.start_registration(fuzzed.tenant.id, client=OWN_CLIENT)
            return {"flow": str(registration.id), "id": str(registration.id)}
        return {}

    await fuzz(fuzzed.doors.http, document, credentials=credentials, known=known)


async def test_rocketchat_answers_as_its_served_document_says(fuzzed: Fuzzed) -> None:
    document = await fuzzed.served("/api/v1/openapi.json")
    user_id = render_hex(fuzzed.user.id)

    async def credentials(operation: APIOperation) -> dict[str, str]:
        return {"x-user-id": user_id, "x-auth-token": await fuzzed.token()}

    async def known(operation: APIOperation) -> dict[str, str]:
        other = (await fuzzed.session()).record.session.id
        return {"sessionId": render_hex(other), "method": "2fa:validateTempToken"}

    await fuzz(fuzzed.doors.http, document, credentials=credentials, known=known)
