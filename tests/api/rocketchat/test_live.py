"""The done-when suite: a real `sessiond serve` on loopback, driven only through the
`rocketchat-api` client, with a real SMTP server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
import requests
from rocketchat_API.APIExceptions.RocketExceptions import RocketApiException
from rocketchat_API.rocketchat import RocketChat

from tests.helpers.live import LiveServer, live_server
from tests.helpers.mail import Inbox
from tests.helpers.rocketchat import PASSWORD
from tests.helpers.rocketchat_wire import (
    SEED_FORBIDDEN,
    SEED_LIST,
    SEED_LIST_ALL_ITEM,
    SEED_TOTP_REQUIRED,
    item_shape,
    shape,
)

pytestmark = pytest.mark.slow

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/113.0.0.0 Safari/537.36"
)
RC_MOBILE = "RC Mobile; iOS 12.2; v3.4.0 (250)"
RC_DESKTOP = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_1) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Rocket.Chat/2.15.2 Chrome/69.0.3497.128 Electron/4.1.4 Safari/537.36"
)
PASSWORD_CODE = hashlib.sha256(PASSWORD.encode()).hexdigest()


@pytest.fixture
def server(fresh_database: str, tmp_path: Path, inbox: Inbox) -> Iterator[LiveServer]:
    env = {"SESSIOND_SMTP_URL": inbox.url}
    with live_server(fresh_database, tmp_path / "serve.log", env=env) as running:
        running.cli(
            "users", "create", "--tenant", "default", "--username", "root", "--password", "-",
            "--name", "Root", "--role", "admin", stdin=PASSWORD,
        )  # fmt: skip
        yield running


def agent(user_agent: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.headers["User-Agent"] = user_agent
    return session


def client(url: str, username: str, user_agent: str = CHROME) -> RocketChat:
    return RocketChat(username, PASSWORD, server_url=url, session=agent(user_agent))


def client_with_code(url: str, username: str, code: str) -> RocketChat:
    """Logs in a TOTP user the way the client allows it: the login body, headers copied."""
    rocket = RocketChat(server_url=url, session=agent(CHROME))
    answer = rocket.call_api_post(
        "login", body={"user": username, "password": PASSWORD, "code": code}
    )
    rocket.headers["X-Auth-Token"] = answer["data"]["authToken"]
    rocket.headers["X-User-Id"] = answer["data"]["userId"]
    return rocket


def refused(call: Any, *args: Any, **kwargs: Any) -> RocketApiException:
    with pytest.raises(RocketApiException) as caught:
        call(*args, **kwargs)
    return caught.value


def ddp(rocket: RocketChat, method: str, *params: Any) -> Any:
    message = json.dumps({"msg": "method", "id": "1", "method": method, "params": list(params)})
    answer = rocket.call_api_post(f"method.call/{method}", message=message)
    return json.loads(answer["message"])


def test_device_management_through_the_rocketchat_client(server: LiveServer) -> None:
    root = client(server.url, "root")
    assert root.me()["roles"] == ["admin"]
    assert root.info()["success"] is True
    created = root.users_create("bob@example.test", "Bob", PASSWORD, "bob")
    assert created["user"]["roles"] == ["user"]
    bob_phone = client(server.url, "bob", RC_MOBILE)
    time.sleep(0.01)
    bob = client(server.url, "bob", RC_DESKTOP)

    mine = bob.call_api_get("sessions/list", count=1, offset=0, sort=json.dumps({"loginAt": 1}))
    assert (mine["total"], mine["count"], mine["offset"]) == (2, 1, 0)
    [oldest] = mine["sessions"]
    assert shape({**mine, "sessions": []}) == shape({**SEED_LIST, "sessions": []})
    assert shape(oldest) == item_shape(SEED_LIST["sessions"][0])  # type: ignore[index]
    assert oldest["device"] == {
        "type": "mobile-app",
        "name": "RC Mobile",
        "longVersion": "3.4.0 250",
        "os": {"name": "iOS", "version": "12.2"},
        "version": "3.4.0",
    }
    assert oldest["current"] is False
    desktop = bob.call_api_get("sessions/list", filter="desktop-app")["sessions"]
    assert [item["device"]["name"] for item in desktop] == ["Rocket.Chat"]
    assert desktop[0]["device"]["version"] == "2.15.2"
    assert desktop[0]["current"] is True
    info = bob.call_api_get("sessions/info", sessionId=oldest["sessionId"])
    assert info == {**oldest, "success": True}

    forbidden = refused(bob.call_api_get, "sessions/list.all")
    assert (forbidden.status_code, forbidden.response_json) == (403, SEED_FORBIDDEN)

    required = refused(root.call_api_get, "sessions/list.all")
    assert (required.status_code, required.response_json) == (400, SEED_TOTP_REQUIRED)
    root.headers["x-2fa-code"] = hashlib.sha256(b"wrong").hexdigest()
    assert refused(root.call_api_get, "sessions/list.all").error_type == "totp-invalid"
    root.headers.update({"x-2fa-code": PASSWORD_CODE, "x-2fa-method": "password"})
    everyone = root.call_api_get("sessions/list.all", sort=json.dumps({"_user.username": 1}))
    assert everyone["total"] == 3
    assert shape(everyone["sessions"][0]) == item_shape(SEED_LIST_ALL_ITEM)
    assert [s["_user"] for s in everyone["sessions"]][-1] == {"name": "Root", "username": "root"}
    admin_view = root.call_api_get("sessions/info.admin", sessionId=oldest["sessionId"])
    assert admin_view["_user"] == {"name": "Bob", "username": "bob"}

    assert bob.call_api_post("sessions/logout.me", sessionId=oldest["sessionId"]) == {
        "sessionId": oldest["sessionId"],
        "success": True,
    }
    assert refused(bob_phone.me).status_code == 401
    out = root.call_api_post("sessions/logout", sessionId=desktop[0]["sessionId"])
    assert out["success"] is True
    gone = refused(bob.me)
    assert (gone.status_code, gone.error) == (401, "You must be logged in to do this.")


def test_totp_and_mailed_codes_through_the_rocketchat_client(
    server: LiveServer, inbox: Inbox
) -> None:
    root = client(server.url, "root")
    enabled = ddp(root, "2fa:enable")["result"]
    totp = pyotp.TOTP(enabled["secret"])
    codes = ddp(root, "2fa:validateTempToken", totp.now())["result"]["codes"]

    first = client_with_code(server.url, "root", codes[0])
    required = refused(first.call_api_get, "sessions/list.all").response_json
    assert required["details"] == {
        "method": "totp",
        "codeGenerated": False,
        "availableMethods": ["totp"],
    }
    next_code = totp.at(time.time() + 30)
    wrong = f"{(int(next_code) + 1) % 1_000_000:06d}"
    first.headers["x-2fa-code"] = wrong
    for _ in range(6):
        assert refused(first.call_api_get, "sessions/list.all").error_type == "totp-invalid"
    first.headers["x-2fa-code"] = next_code
    assert first.call_api_get("sessions/list.all")["success"] is True

    replay = client_with_code(server.url, "root", codes[1])
    replay.headers["x-2fa-code"] = next_code
    assert refused(replay.call_api_get, "sessions/list.all").error_type == "totp-invalid"
    replay.headers["x-2fa-code"] = codes[2]
    assert replay.call_api_get("sessions/list.all")["success"] is True
    again = client_with_code(server.url, "root", codes[3])
    again.headers["x-2fa-code"] = codes[2]
    assert refused(again.call_api_get, "sessions/list.all").error_type == "totp-invalid"

    root.users_create("ops@example.test", "Ops", PASSWORD, "ops", verified=True, roles=["admin"])
    ops = client(server.url, "ops")
    assert ops.call_api_post("users.2fa.enableEmail") == {"success": True}
    asked = refused(ops.call_api_get, "sessions/list.all").response_json
    assert asked["details"]["method"] == "email"
    assert asked["details"]["codeGenerated"] is True
    ops.headers["x-2fa-code"] = inbox.last_code("ops@example.test")
    assert ops.call_api_get("sessions/list.all")["total"] >= 5


def test_a_session_ended_elsewhere_stops_working_here(server: LiveServer) -> None:
    root = client(server.url, "root")
    listed = root.call_api_get("sessions/list")["sessions"]
    server.cli("sessions", "revoke", listed[0]["sessionId"], "--tenant", "default")
    assert refused(root.me).status_code == 401
    again = client(server.url, "root")
    assert again.logout() == {"status": "success", "data": {"message": "You've been logged out!"}}
    assert refused(again.me).status_code == 401
