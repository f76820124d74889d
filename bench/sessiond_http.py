"""sessiond as a user runs it: `sessiond serve` (one worker) and the `sessiond` command, set up only
through the CLI and the front doors' own HTTP APIs, the way the README walks through them."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import wrk_load
from procs import BenchError, Server, free_port, run, serving
from wrk_load import Target

SESSIOND = str(Path(sys.executable).with_name("sessiond"))
UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/113.0.0.0 Safari/537.36"
)
PASSWORD = "correct horse battery staple"


def password_sha256() -> str:
    """What Rocket.Chat's password second factor sends: the password's lowercase hex SHA-256."""
    return hashlib.sha256(PASSWORD.encode()).hexdigest()


@contextmanager
def sessiond(name: str, *, env: Mapping[str, str], logs: Path) -> Iterator[Server]:
    port = free_port()
    argv = [SESSIOND, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with serving(name, argv, port=port, ready_path="/healthz", logs=logs, env=env) as server:
        yield server


def cli(env: Mapping[str, str], *args: str, stdin: str | None = None) -> str:
    return run([SESSIOND, *args], env=env, stdin=stdin, timeout=3600)


def has_command(env: Mapping[str, str], command: str) -> bool:
    try:
        cli(env, command, "--help")
    except BenchError:
        return False
    return True


def create_user(
    env: Mapping[str, str], *, tenant: str, username: str, roles: tuple[str, ...] = ()
) -> None:
    args = ["users", "create", "--tenant", tenant, "--username", username, "--password", "-"]
    args += ["--email", f"{username}@example.com"]
    for role in roles:
        args += ["--role", role]
    cli(env, *args, stdin=PASSWORD + "\n")


def secret_key(env: Mapping[str, str], *, tenant: str) -> str:
    key: str = json.loads(cli(env, "keys", "create", "--tenant", tenant, "--json"))["secretKey"]
    return key


def _json(answer: httpx.Response, expect: int = 200) -> Any:
    if answer.status_code != expect:
        raise BenchError(f"{answer.request.url.path}: {answer.status_code} {answer.text[:300]}")
    return answer.json()


def public_key(server: Server, *, tenant: str, key: str) -> str:
    answer = httpx.get(
        f"{server.base}/api/v0/tenants/slug/{tenant}", headers={"Authorization": f"Bearer {key}"}
    )
    found: str = _json(answer)["publicKey"]
    return found


@dataclass(frozen=True, slots=True)
class Caller:
    """One user signed in through each door, and what each door wants to see on a request."""

    kratos_token: str
    rc_user: str
    rc_token: str
    pxyz_token: str
    pxyz_public_key: str


def kratos_sign_in(http: httpx.Client, username: str) -> str:
    flow = _json(http.get("/self-service/login/api"))["id"]
    body = {"method": "password", "identifier": f"{username}@example.com", "password": PASSWORD}
    token: str = _json(http.post(f"/self-service/login?flow={flow}", json=body))["session_token"]
    return token


def rocketchat_sign_in(http: httpx.Client, username: str) -> tuple[str, str]:
    data = _json(http.post("/api/v1/login", json={"user": username, "password": PASSWORD}))["data"]
    return data["userId"], data["authToken"]


def pxyz_sign_in(http: httpx.Client, username: str, public_key: str) -> str:
    body = pxyz_sign_in_body(username)
    answer = http.post("/api/sign-ins", json=body, headers={"x-public-key": public_key})
    token: str = _json(answer, expect=201)["data"]["sessionToken"]
    return token


def pxyz_sign_in_body(username: str) -> dict[str, str]:
    return {
        "identifier": f"{username}@example.com",
        "strategy": "email_password",
        "password": PASSWORD,
    }


def sign_in_everywhere(server: Server, *, username: str, public_key: str) -> Caller:
    with httpx.Client(base_url=server.base, headers={"User-Agent": UA}, timeout=30) as http:
        rc_user, rc_token = rocketchat_sign_in(http, username)
        return Caller(
            kratos_token=kratos_sign_in(http, username),
            rc_user=rc_user,
            rc_token=rc_token,
            pxyz_token=pxyz_sign_in(http, username, public_key),
            pxyz_public_key=public_key,
        )


def token_checks(server: Server, caller: Caller) -> dict[str, Target]:
    """Each door's "who is this token", checked to answer 200 once before it is measured."""
    targets = {
        "kratos whoami": wrk_load.get(
            f"{server.base}/sessions/whoami", {"X-Session-Token": caller.kratos_token}
        ),
        "rocketchat me": wrk_load.get(
            f"{server.base}/api/v1/me",
            {"X-User-Id": caller.rc_user, "X-Auth-Token": caller.rc_token},
        ),
        "pxyz user sessions": wrk_load.get(
            f"{server.base}/api/user/sessions",
            {
                "x-public-key": caller.pxyz_public_key,
                "Authorization": f"Bearer {caller.pxyz_token}",
            },
        ),
    }
    for target in targets.values():
        check(target)
    return targets


def sign_ins(server: Server, *, username: str, public_key: str) -> dict[str, Target]:
    """A password sign-in through each door (each makes a session), for wrk to repeat."""
    ua = {"User-Agent": UA}
    kratos_body = {
        "method": "password",
        "identifier": f"{username}@example.com",
        "password": PASSWORD,
    }
    return {
        "kratos sign-in": Target(
            url=f"{server.base}/",
            script="kratos_login.lua",
            args=(json.dumps(kratos_body), f"User-Agent: {UA}"),
        ),
        "rocketchat sign-in": wrk_load.post_json(
            f"{server.base}/api/v1/login", {"user": username, "password": PASSWORD}, ua
        ),
        "pxyz sign-in": wrk_load.post_json(
            f"{server.base}/api/sign-ins",
            pxyz_sign_in_body(username),
            {**ua, "x-public-key": public_key},
        ),
    }


def check(target: Target) -> None:
    """One request as wrk would send it (request.lua targets only), which must answer 2xx with a
    body that is not `null` (Better Auth answers 200 `null` to an unknown session)."""
    method, body, *header_args = target.args
    headers = dict(arg.split(": ", 1) for arg in header_args)
    answer = httpx.request(method, target.url, headers=headers, content=body or None, timeout=30)
    if answer.status_code >= 300 or answer.text.strip() in ("", "null"):
        raise BenchError(f"{target.url}: {answer.status_code} {answer.text[:300]}")
