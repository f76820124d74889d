"""A real `sessiond serve` process on loopback, for the suites that drive sessiond through real
clients (the Kratos SDK, rocketchat-api) and for the serve tests themselves."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

SESSIOND = Path(sys.executable).with_name("sessiond")
START_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0
# Cheap argon2 for tests; production defaults are in Settings.
TEST_ENV = {"SESSIOND_PASSWORD_TIME_COST": "1", "SESSIOND_PASSWORD_MEMORY_COST": "1024"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def log_text(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-4000:]


def server_env(database_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSIOND_")}
    env.update(TEST_ENV)
    env["SESSIOND_DATABASE_URL"] = database_url
    env.update(extra or {})
    return env


def wait_healthy(process: subprocess.Popen[bytes], base: str, log: Path) -> httpx.Response:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(base_url=base, timeout=2.0, trust_env=False) as client:
        while True:
            if process.poll() is not None:
                pytest.fail(f"sessiond serve exited with {process.returncode}:\n{log_text(log)}")
            try:
                response = client.get("/healthz")
            except httpx.TransportError:
                pass
            else:
                if response.status_code == 200:
                    return response
            if time.monotonic() > deadline:
                pytest.fail(f"/healthz did not answer 200 in {START_TIMEOUT} s:\n{log_text(log)}")
            time.sleep(0.1)


def stop(process: subprocess.Popen[bytes], log: Path) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"sessiond serve did not stop on SIGTERM:\n{log_text(log)}")
    # uvicorn re-raises the signal once it has shut down cleanly, so one process dies of SIGTERM;
    # the parent of several workers exits 0.
    assert code in (0, -signal.SIGTERM), log_text(log)
    assert "Application shutdown complete." in log_text(log)


def start_serve(
    database_url: str, log: Path, port: int, *options: str, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`sessiond serve` on `port`, its output appended to `log`, in a process group of its own
    (so that its workers can be ended, or killed, with it)."""
    assert SESSIOND.exists(), f"{SESSIOND} is missing: install the package into this virtualenv"
    command = [str(SESSIOND), "serve", "--host", "127.0.0.1", "--port", str(port), *options]
    with log.open("ab") as sink:
        return subprocess.Popen(
            command,
            env=server_env(database_url, env),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@contextmanager
def serving(
    database_url: str, log: Path, *options: str, env: Mapping[str, str] | None = None
) -> Iterator[httpx.Response]:
    """Runs `sessiond serve` until the block ends; yields the first 200 answer of /healthz."""
    port = free_port()
    process = start_serve(database_url, log, port, *options, env=env)
    try:
        yield wait_healthy(process, f"http://127.0.0.1:{port}", log)
        stop(process, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass(frozen=True, slots=True)
class LiveServer:
    """A running server: its base URL and a way to run `sessiond` commands on its database."""

    url: str
    database_url: str
    env: Mapping[str, str]

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [str(SESSIOND), *args],
            env=server_env(self.database_url, self.env),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"sessiond {' '.join(args)}: {done.stderr}"
        return done.stdout

    def cli_json(self, *args: str, stdin: str | None = None) -> Any:
        return json.loads(self.cli(*args, "--json", stdin=stdin))


@contextmanager
def live_server(
    database_url: str, log: Path, *, env: Mapping[str, str] | None = None
) -> Iterator[LiveServer]:
    """`sessiond serve` on a free loopback port over `database_url` (migrated by serve itself)."""
    with serving(database_url, log, env=env) as first:
        yield LiveServer(
            url=str(first.url.copy_with(path="/")).rstrip("/"),
            database_url=database_url,
            env=dict(env or {}),
        )
