"""Better Auth, the peer a user might pick instead: installed from npm into a temporary folder
at bench time (pinned versions below), its schema made by its own migration API, served by
server.mjs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from procs import BenchError, Server, free_port, run, serving

PACKAGES = {"better-auth": "1.7.25", "pg": "8.23.1"}
SERVER = Path(__file__).resolve().parent / "betterauth" / "server.mjs"
SECRET = "bench-only-secret-0123456789abcdef0123456789"
COOKIE = "better-auth.session_token"


def install(folder: Path) -> Path:
    """`npm install`s the pinned packages into `folder` and puts server.mjs beside them."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise BenchError(f"{tool} is not installed (Debian: apt-get install nodejs npm)")
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"private": True, "type": "module", "dependencies": PACKAGES}
    (folder / "package.json").write_text(json.dumps(manifest, indent=2))
    run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder, timeout=600)
    shutil.copy(SERVER, folder / SERVER.name)
    return folder


@contextmanager
def better_auth(folder: Path, *, database_url: str, logs: Path) -> Iterator[Server]:
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "BETTER_AUTH_SECRET": SECRET,
        "NODE_ENV": "production",
    }
    run(["node", SERVER.name, "migrate"], cwd=folder, env=env)
    argv = ["node", SERVER.name, "serve"]
    with serving(
        "better-auth", argv, port=port, ready_path="/ok", logs=logs, env=env, cwd=folder
    ) as server:
        yield server


def sign_up(server: Server, *, email: str, password: str) -> str:
    """Signs a user up and returns the Cookie header value that carries its session."""
    answer = httpx.post(
        f"{server.base}/api/auth/sign-up/email",
        json={"email": email, "password": password, "name": "Bench"},
        headers={"Origin": server.base},
        timeout=30,
    )
    token = answer.cookies.get(COOKIE)
    if answer.status_code != 200 or token is None:
        raise BenchError(f"Better Auth sign-up: {answer.status_code} {answer.text[:200]}")
    return f"{COOKIE}={token}"
