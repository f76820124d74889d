"""Native login and registration flows, the AAL2 step-up, logout, and identity admin over HTTP."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import timedelta

import pyotp
from ory_kratos_client.models import (
    LoginFlow,
    RegistrationFlow,
    Session,
    SuccessfulNativeRegistration,
)

from sessiond.domain.user import Totp
from sessiond.infra.clock import FrozenClock
from sessiond.infra.totp import new_totp_secret
from tests.helpers.kratos import PASSWORD, Door


async def test_wrong_password_keeps_the_flow_open(door: Door) -> None:
    await door.user()
    flow = (await door.http.get("/self-service/login/api")).json()
    LoginFlow.from_dict(flow)
    url = f"/self-service/login?flow={flow['id']}"
    wrong = await door.http.post(
        url, json={"method": "password", "identifier": "ada", "password": "no"}
    )
    assert wrong.status_code == 400
    parsed = LoginFlow.from_dict(wrong.json())
    assert parsed is not None
    assert parsed.ui.messages is not None
    assert parsed.ui.messages[0].id == 4000006
    right = await door.http.post(
        url, json={"method": "password", "identifier": "ada@example.com", "password": PASSWORD}
    )
    assert right.status_code == 200
    assert (
        await door.http.post(
            url, json={"method": "password", "identifier": "ada", "password": PASSWORD}
        )
    ).status_code == 404


async def test_expired_flow_is_410(door: Door, clock: FrozenClock) -> None:
    await door.user()
    flow = (await door.http.get("/self-service/login/api")).json()
    clock.advance(timedelta(hours=1))
    response = await door.http.post(
        f"/self-service/login?flow={flow['id']}",
        json={"method": "password", "identifier": "ada", "password": PASSWORD},
    )
    assert response.status_code == 410
    assert response.json()["error"]["id"] == "self_service_flow_expired"


async def test_registration_flow(door: Door) -> None:
    flow = (await door.http.get("/self-service/registration/api")).json()
    assert RegistrationFlow.from_dict(flow) is not None
    url = f"/self-service/registration?flow={flow['id']}"
    body = {"method": "password", "password": PASSWORD, "traits": {"email": "new@example.com"}}
    done = await door.http.post(url, json=body)
    assert done.status_code == 200
    parsed = SuccessfulNativeRegistration.from_dict(done.json())
    assert parsed is not None
    assert parsed.session_token
    assert parsed.session is not None
    whoami = await door.http.get(
        "/sessions/whoami", headers={"X-Session-Token": parsed.session_token}
    )
    assert whoami.json()["identity"]["traits"] == {"email": "new@example.com"}

    again = (await door.http.get("/self-service/registration/api")).json()
    duplicate = await door.http.post(f"/self-service/registration?flow={again['id']}", json=body)
    assert duplicate.status_code == 400
    assert RegistrationFlow.from_dict(duplicate.json()).ui.messages[0].id == 4000007  # type: ignore[union-attr,index]
    weak = await door.http.post(
        f"/self-service/registration?flow={again['id']}",
        json={"method": "password", "password": "x", "traits": {"email": "weak@example.com"}},
    )
    assert weak.status_code == 400
    assert "ui" in weak.json()


async def _with_totp(door: Door) -> str:
    user_id = await door.user()
    secret = new_totp_secret()
    async with door.services.deps.store.unit_of_work() as uow:
        user = await uow.users.get_for_update(door.tenant.id, uuid.UUID(user_id))
        assert user is not None
        await uow.users.update(replace(user, totp=Totp(secret=secret, enabled=True)))
        await uow.commit()
    return secret


async def test_step_up_only_for_the_flows_own_session(door: Door, clock: FrozenClock) -> None:
    secret = await _with_totp(door)
    mine, other = await door.login(), await door.login()
    assert mine["session"]["authenticator_assurance_level"] == "aal1"
    flow = (
        await door.http.get(
            "/self-service/login/api?aal=aal2", headers={"X-Session-Token": mine["session_token"]}
        )
    ).json()
    code = pyotp.TOTP(secret).at(clock.now())
    stolen = await door.http.post(
        f"/self-service/login?flow={flow['id']}",
        json={"method": "totp", "totp_code": code},
        headers={"X-Session-Token": other["session_token"]},
    )
    assert stolen.status_code == 404
    done = await door.http.post(
        f"/self-service/login?flow={flow['id']}",
        json={"method": "totp", "totp_code": code},
        headers={"X-Session-Token": mine["session_token"]},
    )
    assert done.status_code == 200
    session = Session.from_dict(done.json()["session"])
    assert session is not None
    assert session.authenticator_assurance_level == "aal2"
    still = await door.http.get(
        "/sessions/whoami", headers={"X-Session-Token": other["session_token"]}
    )
    assert still.status_code == 403
    assert still.json()["error"]["id"] == "session_aal2_required"


async def test_aal1_session_of_a_totp_identity_cannot_list_my_sessions(
    door: Door, clock: FrozenClock
) -> None:
    secret = await _with_totp(door)
    mine, other = await door.login(), await door.login()
    headers = {"X-Session-Token": mine["session_token"]}
    for path in ("/sessions/whoami", "/sessions"):
        refused = await door.http.get(path, headers=headers)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["id"] == "session_aal2_required"
    # Kratos checks no level when revoking: an AAL1 session may end the identity's others.
    revoked = await door.http.delete(f"/sessions/{other['session']['id']}", headers=headers)
    assert revoked.status_code == 204
    assert (await door.http.delete("/sessions", headers=headers)).json() == {"count": 0}

    flow = (await door.http.get("/self-service/login/api?aal=aal2", headers=headers)).json()
    code = pyotp.TOTP(secret).at(clock.now())
    stepped = await door.http.post(
        f"/self-service/login?flow={flow['id']}",
        json={"method": "totp", "totp_code": code},
        headers=headers,
    )
    assert stepped.status_code == 200, stepped.text
    listed = await door.http.get("/sessions", headers=headers)
    assert (listed.status_code, listed.json()) == (200, [])


async def test_aal2_flow_needs_a_session_and_a_second_factor(door: Door) -> None:
    await door.user()
    assert (await door.http.get("/self-service/login/api?aal=aal2")).status_code == 401
    plain = await door.login()
    response = await door.http.get(
        "/self-service/login/api?aal=aal2", headers={"X-Session-Token": plain["session_token"]}
    )
    assert response.status_code == 400
    assert (await door.http.get("/self-service/login/api?aal=aal9")).status_code == 400


async def test_step_up_closes_after_five_wrong_codes(door: Door) -> None:
    await _with_totp(door)
    token = (await door.login())["session_token"]
    headers = {"X-Session-Token": token}
    flow = (await door.http.get("/self-service/login/api?aal=aal2", headers=headers)).json()
    url = f"/self-service/login?flow={flow['id']}"
    statuses = [
        (
            await door.http.post(
                url, json={"method": "totp", "totp_code": "12345x"}, headers=headers
            )
        ).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [400] * 5
    assert statuses[5] == 404


async def test_identity_admin(door: Door) -> None:
    created = await door.http.post(
        "/admin/identities",
        json={
            "traits": {"email": "ada@example.com", "username": "ada"},
            "state": "active",
            "metadata_public": {"a": 1},
            "credentials": {"password": {"config": {"password": PASSWORD}}},
        },
        headers=door.admin,
    )
    assert created.status_code == 201
    identity = created.json()
    listed = await door.http.get("/admin/identities", headers=door.admin)
    assert [i["id"] for i in listed.json()] == [identity["id"]]
    found = await door.http.get(
        "/admin/identities",
        params={"credentials_identifier": "ADA@example.com"},
        headers=door.admin,
    )
    assert [i["id"] for i in found.json()] == [identity["id"]]
    token = (await door.login())["session_token"]

    patched = await door.http.patch(
        f"/admin/identities/{identity['id']}",
        json=[
            {"op": "replace", "path": "/traits/username", "value": "lovelace"},
            {"op": "add", "path": "/metadata_admin", "value": {"vip": True}},
            {"op": "replace", "path": "/state", "value": "inactive"},
        ],
        headers=door.admin,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["traits"]["username"] == "lovelace"
    assert body["state"] == "inactive"
    assert body["metadata_admin"] == {"vip": True}
    assert body["metadata_public"] == {"a": 1}
    whoami = await door.http.get("/sessions/whoami", headers={"X-Session-Token": token})
    assert whoami.status_code == 401  # deactivating ends the identity's sessions
    bad = await door.http.patch(
        f"/admin/identities/{identity['id']}",
        json=[{"op": "replace", "path": "/id", "value": "x"}],
        headers=door.admin,
    )
    assert bad.status_code == 400

    schema = await door.http.get(body["schema_url"].removeprefix("http://sessiond.test"))
    assert schema.status_code == 200
    assert "traits" in schema.json()["properties"]
    deleted = await door.http.delete(f"/admin/identities/{identity['id']}", headers=door.admin)
    assert deleted.status_code == 204
    gone = await door.http.get(f"/admin/identities/{identity['id']}", headers=door.admin)
    assert gone.status_code == 404


async def test_an_invalid_patch_saves_nothing(door: Door) -> None:
    user = await door.user()
    before = (await door.http.get(f"/admin/identities/{user}", headers=door.admin)).json()
    for operations in (
        [
            {"op": "replace", "path": "/traits/email", "value": "new@example.com"},
            {"op": "replace", "path": "/state", "value": "bogus"},
        ],
        [
            {"op": "replace", "path": "/traits/username", "value": "lovelace"},
            {"op": "replace", "path": "/metadata_public", "value": 5},
        ],
    ):
        refused = await door.http.patch(
            f"/admin/identities/{user}", json=operations, headers=door.admin
        )
        assert refused.status_code == 400, refused.text
    after = (await door.http.get(f"/admin/identities/{user}", headers=door.admin)).json()
    assert after == before


async def test_concurrent_patches_take_turns(door: Door) -> None:
    user = await door.user()

    def rename(to: str) -> list[dict[str, str]]:
        return [
            {"op": "test", "path": "/traits/username", "value": "ada"},
            {"op": "replace", "path": "/traits/username", "value": to},
        ]

    responses = await asyncio.gather(
        *(
            door.http.patch(f"/admin/identities/{user}", json=rename(f"ada{i}"), headers=door.admin)
            for i in range(3)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 400, 400]
    [winner] = [r.json() for r in responses if r.status_code == 200]
    stored = (await door.http.get(f"/admin/identities/{user}", headers=door.admin)).json()
    assert stored["traits"] == winner["traits"]


async def test_a_signed_in_caller_needs_refresh_for_a_new_login(door: Door) -> None:
    await door.user()
    headers = {"X-Session-Token": (await door.login())["session_token"]}
    refused = await door.http.get("/self-service/login/api", headers=headers)
    assert refused.status_code == 400
    assert refused.json()["error"]["id"] == "session_already_available"
    again = await door.http.get("/self-service/login/api?refresh=true", headers=headers)
    assert again.status_code == 200
    stale = await door.http.get("/self-service/login/api", headers={"X-Session-Token": "ory_st_x"})
    assert stale.status_code == 200
