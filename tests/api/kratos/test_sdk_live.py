"""The Kratos door driven only through the official `ory-kratos-client` SDK against a real
`sessiond serve` process on loopback, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pyotp
import pytest
from ory_kratos_client.exceptions import (
    BadRequestException,
    ForbiddenException,
    NotFoundException,
    UnauthorizedException,
)
from ory_kratos_client.models import (
    JsonPatch,
    PerformNativeLogoutBody,
    UpdateRegistrationFlowBody,
    UpdateRegistrationFlowWithPasswordMethod,
)

from sessiond.compose import open_services
from sessiond.domain.user import Totp
from sessiond.infra.totp import new_totp_secret
from sessiond.settings import Settings
from tests.helpers.kratos_sdk import (
    PASSWORD,
    Sdk,
    assert_complete,
    assert_full_session,
    create_identity,
    links,
    login,
    sdk,
    step_up,
    walk,
)
from tests.helpers.live import LiveServer, live_server

pytestmark = pytest.mark.slow
MANY = 1000
PAGE = 7


@pytest.fixture
def server(fresh_database: str, tmp_path: Path) -> Iterator[tuple[LiveServer, Sdk]]:
    with live_server(fresh_database, tmp_path / "serve.log") as live:
        key = live.cli_json("keys", "create", "--tenant", "default")["secretKey"]
        yield live, sdk(live.url, key)


def enable_totp(database_url: str, identity_id: str) -> str:
    """Test setup the door has no endpoint for (Kratos does it in a settings flow)."""
    secret = new_totp_secret()

    async def write() -> None:
        services = await open_services(Settings(database_url=database_url))
        try:
            tenant = await services.tenants.get_by_slug("default")
            async with services.deps.store.unit_of_work() as uow:
                user = await uow.users.get_for_update(tenant.id, uuid.UUID(identity_id))
                assert user is not None
                await uow.users.update(replace(user, totp=Totp(secret=secret, enabled=True)))
                await uow.commit()
        finally:
            await services.close()

    asyncio.run(write())
    return secret


def test_sessions_through_the_sdk(server: tuple[LiveServer, Sdk]) -> None:
    _live, client = server
    identity = create_identity(client, email="ada@example.com", username="ada")
    assert_complete(identity)
    assert identity.schema_id == "default"
    assert identity.traits["username"] == "ada"
    assert client.admin.get_identity(identity.id).metadata_admin == {
        "note": "made by the SDK suite"
    }

    first = login(client, "ada@example.com")
    token = first.session_token
    assert token is not None
    assert token.startswith("ory_st_")
    assert len(token) == 39
    assert_full_session(first.session)
    assert first.session.authenticator_assurance_level == "aal1"

    by_token = client.frontend.to_session(x_session_token=token)
    by_cookie = client.frontend.to_session(cookie=f"a=1; ory_kratos_session={token}")
    assert by_token.id == by_cookie.id == first.session.id
    assert_full_session(by_token)
    assert by_token.devices is not None
    assert by_token.devices[0].user_agent.startswith("OpenAPI-Generator/")

    with ThreadPoolExecutor(max_workers=4) as pool:
        others = list(pool.map(lambda _: login(client, "ada").session.id, range(MANY)))
    everyone = {first.session.id, *others}
    assert len(everyone) == MANY + 1

    mine = client.frontend.list_my_sessions_with_http_info(x_session_token=token, page_size=500)
    assert mine.headers is not None
    assert mine.headers["X-Total-Count"] == str(MANY)
    assert first.session.id not in {s.id for s in mine.data}
    assert len(mine.data) == 500
    assert_full_session(mine.data[0])

    walked = list(
        walk(
            lambda t: client.admin.list_identity_sessions_with_http_info(
                identity.id, page_size=PAGE, page_token=t
            )
        )
    )
    assert len(walked) == MANY + 1
    assert {s.id for s in walked} == everyone
    for session in walked[:3]:
        assert_full_session(session)
    times = [s.authenticated_at for s in walked]
    assert times == sorted(times, reverse=True)

    disabled = others[0]
    client.admin.disable_session(disabled)
    assert client.admin.get_session(disabled).active is False
    active = client.admin.list_identity_sessions_with_http_info(identity.id, active=True)
    assert active.headers is not None
    assert active.headers["X-Total-Count"] == str(MANY)
    inactive = client.admin.list_identity_sessions(identity.id, active=False)
    assert [s.id for s in inactive] == [disabled]

    before = client.admin.get_session(first.session.id).expires_at
    extended = client.admin.extend_session(first.session.id)
    assert extended is not None
    assert extended.id == first.session.id
    assert extended.expires_at is not None
    assert before is not None
    assert extended.expires_at >= before
    assert_complete(extended)

    one = others[1]
    client.frontend.disable_my_session(one, x_session_token=token)
    assert client.admin.get_session(one).active is False
    ended = client.frontend.disable_my_other_sessions(x_session_token=token)
    assert ended.count == MANY - 2
    assert client.frontend.list_my_sessions(x_session_token=token) == []
    assert client.frontend.to_session(x_session_token=token).active is True

    _keyset(client, everyone)
    _logout_and_delete_all(client, identity.id, token)


def _keyset(client: Sdk, everyone: set[str]) -> None:
    plain = list(
        walk(lambda t: client.admin.list_sessions_with_http_info(page_size=50, page_token=t))
    )
    assert {s.id for s in plain} == everyone
    assert len(plain) == len(everyone)
    for session in plain[:3]:
        assert_full_session(session, expanded=False)
    expanded = list(
        walk(
            lambda t: client.admin.list_sessions_with_http_info(
                page_size=1000, page_token=t, expand=["identity", "devices"]
            )
        )
    )
    assert {s.id for s in expanded} == everyone
    for session in expanded[:3]:
        assert_full_session(session)
    live_only = client.admin.list_sessions_with_http_info(page_size=1000, active=True)
    assert [s.id for s in live_only.data]
    assert all(s.active for s in live_only.data)
    assert "first" in links(live_only.headers)
    assert "next" not in links(live_only.headers)


def _logout_and_delete_all(client: Sdk, identity_id: str, token: str) -> None:
    second = login(client, "ada").session_token
    assert second is not None
    client.frontend.perform_native_logout(PerformNativeLogoutBody(session_token=second))
    with pytest.raises(UnauthorizedException):
        client.frontend.to_session(x_session_token=second)

    client.admin.delete_identity_sessions(identity_id)
    with pytest.raises(UnauthorizedException):
        client.frontend.to_session(x_session_token=token)
    assert client.admin.list_identity_sessions(identity_id, active=True) == []


def test_totp_user_steps_up_to_aal2_through_the_sdk(server: tuple[LiveServer, Sdk]) -> None:
    live, client = server
    identity = create_identity(client, email="grace@example.com")
    secret = enable_totp(live.database_url, identity.id)

    token = login(client, "grace@example.com").session_token
    assert token is not None
    with pytest.raises(ForbiddenException) as refused:
        client.frontend.to_session(x_session_token=token)
    assert refused.value.data is not None
    assert refused.value.data.error.id == "session_aal2_required"

    with pytest.raises(BadRequestException):
        step_up(client, token, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    code = pyotp.TOTP(secret).now()
    done = step_up(client, token, code)
    assert done.session.authenticator_assurance_level == "aal2"
    methods = [m.method for m in done.session.authentication_methods or []]
    assert methods == ["password", "totp"]

    whoami = client.frontend.to_session(x_session_token=token)
    assert whoami.id == done.session.id
    assert whoami.authenticator_assurance_level == "aal2"
    assert_full_session(whoami)
    with pytest.raises(BadRequestException):
        step_up(client, token, code)  # the same code never counts twice


def test_identities_and_registration_through_the_sdk(server: tuple[LiveServer, Sdk]) -> None:
    _, client = server
    flow = client.frontend.create_native_registration_flow()
    assert_complete(flow)
    body = UpdateRegistrationFlowBody(
        UpdateRegistrationFlowWithPasswordMethod(
            method="password", password=PASSWORD, traits={"email": "new@example.com"}
        )
    )
    registered = client.frontend.update_registration_flow(flow.id, body)
    assert_complete(registered)
    assert registered.session_token is not None
    assert client.frontend.to_session(x_session_token=registered.session_token).active is True
    identity = registered.identity

    second = create_identity(client, email="ada@example.com", username="ada")
    listed = client.admin.list_identities_with_http_info(page_size=1)
    assert listed.headers is not None
    assert listed.headers["X-Total-Count"] == "2"
    assert [i.id for i in listed.data] == [second.id]
    assert "next" in links(listed.headers)
    found = client.admin.list_identities(credentials_identifier="new@example.com")
    assert [i.id for i in found] == [identity.id]
    for each in found:
        assert_complete(each)

    patched = client.admin.patch_identity(
        identity.id,
        json_patch=[
            JsonPatch(op="add", path="/traits/username", value="newbie"),
            JsonPatch(op="replace", path="/state", value="inactive"),
        ],
    )
    assert patched.traits == {"email": "new@example.com", "username": "newbie"}
    assert patched.state == "inactive"
    with pytest.raises(UnauthorizedException):
        client.frontend.to_session(x_session_token=registered.session_token)

    client.admin.delete_identity(identity.id)
    with pytest.raises(NotFoundException):
        client.admin.get_identity(identity.id)
    schema = client.admin.get_identity_schema("ZGVmYXVsdA")
    assert "traits" in schema["properties"]
    containers = client.admin.list_identity_schemas()
    assert [c.id for c in containers] == ["default"]
    for container in containers:
        assert_complete(container)
