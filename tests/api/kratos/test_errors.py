"""Every error case of compat/kratos.md, in Kratos's error body, through the real ASGI app."""

from __future__ import annotations

import base64
import uuid

import pytest
from ory_kratos_client.models import ErrorGeneric

from sessiond.api.kratos.pagination import encode_offset
from tests.helpers.kratos import Door

NOT_FOUND = {
    "error": {"code": 404, "status": "Not Found", "message": "Unable to locate the resource"}
}
NO_SESSION = {
    "error": {
        "code": 401,
        "status": "Unauthorized",
        "reason": "No valid session credentials found in the request.",
        "message": "The request could not be authorized",
    }
}
BAD_TOKEN = {
    "error": {
        "code": 400,
        "status": "Bad Request",
        "reason": "The page token is invalid, do not craft your own page tokens",
        "message": "The request was malformed or contained invalid parameters",
    }
}
BAD_ACTIVE = {
    "error": {"code": 400, "status": "Bad Request", "message": "could not parse parameter active"}
}
BAD_KEY = {
    "error": {
        "code": 401,
        "status": "Unauthorized",
        "reason": "The secret key is missing or is not one of this tenant's keys.",
        "message": "The request could not be authorized",
    }
}


def _b64(payload: bytes) -> str:
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _parses(body: object) -> None:
    assert ErrorGeneric.from_dict(body) is not None  # type: ignore[arg-type]


async def test_bad_uuid_is_400(door: Door) -> None:
    for path in ("/admin/sessions/nope", "/admin/identities/nope/sessions"):
        response = await door.http.get(path, headers=door.admin)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == 400
        assert "'nope' is not a valid id" in error["message"]
        _parses(response.json())


@pytest.mark.parametrize("value", ["yes", "2", "TRUE!", "tRuE"])
async def test_bad_active_is_400(door: Door, value: str) -> None:
    user = await door.user()
    for path in (f"/admin/identities/{user}/sessions", "/admin/sessions"):
        response = await door.http.get(path, params={"active": value}, headers=door.admin)
        assert (response.status_code, response.json()) == (400, BAD_ACTIVE)


@pytest.mark.parametrize("value", ["1", "T", "true", "True", "0", "f", "FALSE", ""])
async def test_go_parsebool_values_are_accepted(door: Door, value: str) -> None:
    user = await door.user()
    response = await door.http.get(
        f"/admin/identities/{user}/sessions", params={"active": value}, headers=door.admin
    )
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize(
    "token",
    [
        "1",
        "garbage!",
        "eyJvZmZzZXQiOiItNSIsInYiOjJ9",
        "eyJvZmZzZXQiOiIxIn0",
        "e30",
        _b64(b'{"offset":Infinity,"v":2}'),
        _b64(b'{"offset":1e400,"v":2}'),
        _b64(b'{"offset":5,"v":2}'),
        _b64(b'{"offset":"1e5","v":2}'),
        _b64(b'{"offset":"+5","v":2}'),
        _b64(b'{"offset":" 5","v":2}'),
        _b64('{"offset":"\u0665","v":2}'.encode()),
        _b64(b'{"offset":"' + b"0" * 40 + b'5","v":2}'),
        _b64(b"[" * 1100),
        _b64(b"\xff\xfe"),
        _b64(b"[1]"),
    ],
)
async def test_bad_offset_page_token_is_400_not_the_first_page(door: Door, token: str) -> None:
    user = await door.user()
    await door.login()
    for path, headers in (
        (f"/admin/identities/{user}/sessions", door.admin),
        ("/sessions", {}),
    ):
        if path == "/sessions":
            headers = {"X-Session-Token": (await door.login())["session_token"]}
        response = await door.http.get(path, params={"page_token": token}, headers=headers)
        assert (response.status_code, response.json()) == (400, BAD_TOKEN)


async def test_bad_keyset_page_token_is_400(door: Door) -> None:
    await door.user()
    for _ in range(3):
        await door.login()
    first = await door.http.get("/admin/sessions", params={"page_size": 1}, headers=door.admin)
    token = first.headers["link"].split("page_token=")[1].split(">")[0]
    for bad in ("nope", token[:-2], token + "A", "eyJvZmZzZXQiOiIxIiwidiI6Mn0"):
        response = await door.http.get(
            "/admin/sessions", params={"page_size": 1, "page_token": bad}, headers=door.admin
        )
        assert (response.status_code, response.json()) == (400, BAD_TOKEN)
    other_filter = await door.http.get(
        "/admin/sessions",
        params={"page_size": 1, "page_token": token, "active": "false"},
        headers=door.admin,
    )
    assert other_filter.status_code == 400


async def test_unknown_session_is_404(door: Door) -> None:
    missing = uuid.uuid4()
    for method, path in (
        ("GET", f"/admin/sessions/{missing}"),
        ("PATCH", f"/admin/sessions/{missing}/extend"),
        ("DELETE", f"/admin/sessions/{missing}"),
        ("DELETE", f"/admin/identities/{missing}/sessions"),
        ("GET", f"/admin/identities/{missing}"),
        ("DELETE", f"/admin/identities/{missing}"),
    ):
        response = await door.http.request(method, path, headers=door.admin)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), path


async def test_unknown_identity_lists_no_sessions(door: Door) -> None:
    response = await door.http.get(f"/admin/identities/{uuid.uuid4()}/sessions", headers=door.admin)
    assert (response.status_code, response.json()) == (200, [])
    assert response.headers["X-Total-Count"] == "0"


async def test_no_or_bad_session_token_is_401(door: Door) -> None:
    await door.user()
    token = (await door.login())["session_token"]
    for headers in (
        {},
        {"X-Session-Token": "ory_st_" + "x" * 32},
        {"Cookie": "ory_kratos_session=nope"},
        {"Authorization": "Bearer ory_st_nope"},
        {"Authorization": f"Basic {token}"},
    ):
        for method, path in (
            ("GET", "/sessions/whoami"),
            ("GET", "/sessions"),
            ("DELETE", "/sessions"),
            ("DELETE", f"/sessions/{uuid.uuid4()}"),
        ):
            response = await door.http.request(method, path, headers=headers)
            assert (response.status_code, response.json()) == (401, NO_SESSION), (path, headers)
    good = await door.http.get("/sessions/whoami", headers={"Authorization": f"Bearer {token}"})
    assert good.status_code == 200


async def test_wrong_admin_key_is_401(door: Door) -> None:
    other = await door.services.tenants.create(slug=f"other-{uuid.uuid4().hex[:8]}")
    for headers in (
        {},
        {"Authorization": "Bearer sk_nope"},
        {"Authorization": door.key},
        {"Authorization": f"Bearer {other.secret_key.raw}"},
    ):
        for method, path in (
            ("GET", "/admin/sessions"),
            ("GET", "/admin/identities"),
            ("POST", "/admin/identities"),
            ("GET", f"/admin/sessions/{uuid.uuid4()}"),
        ):
            response = await door.http.request(method, path, headers=headers)
            assert (response.status_code, response.json()) == (401, BAD_KEY), (path, headers)


async def test_current_session_cannot_be_revoked_by_id(door: Door) -> None:
    await door.user()
    done = await door.login()
    response = await door.http.delete(
        f"/sessions/{done['session']['id']}", headers={"X-Session-Token": done["session_token"]}
    )
    assert response.status_code == 400
    assert response.json()["error"]["reason"] == "cannot revoke current session"


async def test_someone_elses_session_is_204_and_left_alone(door: Door) -> None:
    await door.user("ada")
    await door.user("bob")
    ada, bob = await door.login("ada"), await door.login("bob")
    response = await door.http.delete(
        f"/sessions/{bob['session']['id']}", headers={"X-Session-Token": ada["session_token"]}
    )
    assert response.status_code == 204
    whoami = await door.http.get(
        "/sessions/whoami", headers={"X-Session-Token": bob["session_token"]}
    )
    assert whoami.status_code == 200


async def test_unknown_routes_and_methods_answer_in_kratos_shape(door: Door) -> None:
    missing = await door.http.get("/admin/nothing-here", headers=door.admin)
    assert (missing.status_code, missing.json()) == (404, NOT_FOUND)
    wrong = await door.http.put("/sessions/whoami")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == 405


async def test_bad_bodies_are_400(door: Door) -> None:
    for body in (b"{", b"[]", b'"x"'):
        response = await door.http.post("/admin/identities", content=body, headers=door.admin)
        assert response.status_code == 400
        assert "error" in response.json()
    for traits in ({}, {"email": "not-an-email"}, {"email": "a@b.c", "age": "3"}, {"username": 3}):
        response = await door.http.post(
            "/admin/identities", json={"traits": traits}, headers=door.admin
        )
        assert response.status_code == 400, traits
    other_schema = await door.http.post(
        "/admin/identities",
        json={"schema_id": "x", "traits": {"username": "x"}},
        headers=door.admin,
    )
    assert other_schema.status_code == 400
    logout = await door.http.request("DELETE", "/self-service/logout/api", json={})
    assert logout.status_code == 400
    unknown = await door.http.request(
        "DELETE", "/self-service/logout/api", json={"session_token": "ory_st_nope"}
    )
    assert unknown.status_code == 403


DEEP = b"[" * 1100 + b"]" * 1100


async def test_deeply_nested_bodies_are_400(door: Door) -> None:
    user = await door.user()
    flow = (await door.http.get("/self-service/login/api")).json()
    registration = (await door.http.get("/self-service/registration/api")).json()
    for method, path, headers in (
        ("POST", "/admin/identities", door.admin),
        ("PATCH", f"/admin/identities/{user}", door.admin),
        ("POST", f"/self-service/login?flow={flow['id']}", {}),
        ("POST", f"/self-service/registration?flow={registration['id']}", {}),
        ("DELETE", "/self-service/logout/api", {}),
    ):
        response = await door.http.request(method, path, content=DEEP, headers=headers)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"]["reason"] == "the body is not valid JSON"


@pytest.mark.parametrize(
    ("credentials", "reason"),
    [
        ("x", "credentials must be an object"),
        ([], "credentials must be an object"),
        ({"password": "x"}, "credentials.password must be an object"),
        ({"password": {"config": []}}, "credentials.password.config must be an object"),
        ({"password": {"config": {}}}, "credentials.password.config.password must be a string"),
        ({"password": {}}, "credentials.password.config.password must be a string"),
        (
            {"password": {"config": {"password": 5}}},
            "credentials.password.config.password must be a string",
        ),
    ],
)
async def test_malformed_credentials_are_400_and_create_nobody(
    door: Door, credentials: object, reason: str
) -> None:
    body = {"traits": {"email": "ada@example.com"}, "credentials": credentials}
    response = await door.http.post("/admin/identities", json=body, headers=door.admin)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["reason"] == reason
    listed = await door.http.get("/admin/identities", headers=door.admin)
    assert listed.json() == []


async def test_deleting_an_identitys_sessions_twice_is_404(door: Door) -> None:
    user = await door.user()
    await door.login()
    path = f"/admin/identities/{user}/sessions"
    first = await door.http.delete(path, headers=door.admin)
    assert first.status_code == 204
    again = await door.http.delete(path, headers=door.admin)
    assert (again.status_code, again.json()) == (404, NOT_FOUND)
    sessionless = await door.user("grace")
    none = await door.http.delete(f"/admin/identities/{sessionless}/sessions", headers=door.admin)
    assert (none.status_code, none.json()) == (404, NOT_FOUND)


async def test_duplicate_identity_is_409(door: Door) -> None:
    body = {"traits": {"email": "ada@example.com", "username": "ada"}}
    assert (
        await door.http.post("/admin/identities", json=body, headers=door.admin)
    ).status_code == 201
    again = await door.http.post("/admin/identities", json=body, headers=door.admin)
    assert again.status_code == 409
    assert again.json()["error"]["status"] == "Conflict"


async def test_every_get_is_not_cacheable(door: Door) -> None:
    for path, headers in (
        ("/admin/sessions", door.admin),
        ("/sessions/whoami", {}),
        ("/schemas", {}),
    ):
        response = await door.http.get(path, headers=headers)
        assert response.headers["cache-control"] == "private, no-cache, no-store, must-revalidate"


@pytest.mark.parametrize(
    "params",
    [
        {"page": "-1"},
        {"page": "x"},
        {"page": str(10**20)},
        {"per_page": "1e3"},
        {"page_size": "abc"},
        {"page_token": encode_offset(10**20)},
        {"page_token": "eyJvZmZzZXQiOiJhIiwidiI6Mn0"},
    ],
)
async def test_bad_paging_is_400_never_500(door: Door, params: dict[str, str]) -> None:
    user = await door.user()
    response = await door.http.get(
        f"/admin/identities/{user}/sessions", params=params, headers=door.admin
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == 400


@pytest.mark.parametrize(
    "body",
    [
        {"method": "password", "identifier": 5, "password": "x"},
        {"method": "password", "identifier": "a\x00b", "password": "x"},
        {"method": "password", "identifier": "a" * 5000, "password": "x"},
        {"method": "webauthn"},
        {"method": "totp", "totp_code": "123456"},
    ],
)
async def test_bad_login_submissions_are_client_errors(door: Door, body: dict[str, object]) -> None:
    flow = (await door.http.get("/self-service/login/api")).json()
    response = await door.http.post(f"/self-service/login?flow={flow['id']}", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert "error" in response.json() or "ui" in response.json()


async def test_identity_metadata_json_cannot_carry_is_400(door: Door) -> None:
    body = b'{"schema_id": "default", "traits": {"username": "nan"}, "metadata_public": {"a": NaN}}'
    headers = {**door.admin, "content-type": "application/json"}
    response = await door.http.post("/admin/identities", headers=headers, content=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == 400
