"""Faults a real `sessiond serve` must survive: killed with SIGKILL while clients sign in (every
sign-in it answered 2xx still authenticates after a restart), and two workers on one SQLite file
under concurrent sign-ins and sign-outs (no client ever sees "database is locked")."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.helpers.live import (
    SESSIOND,
    free_port,
    log_text,
    server_env,
    serving,
    wait_healthy,
)

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
LOGIN = {"user": "signer", "password": PASSWORD}


CREATE_USER = ("users", "create", "--tenant", "default", "--username", "signer", "--password", "-")


def _create_user(database_url: str) -> None:
    subprocess.run(
        [str(SESSIOND), *CREATE_USER],
        input=PASSWORD + "\n",
        env=server_env(database_url),
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _hammer(base: str, stop: threading.Event, work: Callable[[httpx.Client], None]) -> None:
    with httpx.Client(base_url=base, timeout=10.0, trust_env=False) as client:
        while not stop.is_set():
            try:
                work(client)
            except httpx.TransportError:
                return  # the server is gone


def test_every_sign_in_answered_2xx_survives_a_kill_9(fresh_database: str, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(SESSIOND), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as sink:
        process = subprocess.Popen(
            command,
            env=server_env(fresh_database),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    signed: list[tuple[str, str]] = []
    try:
        wait_healthy(process, base, log)
        _create_user(fresh_database)

        def sign_in(client: httpx.Client) -> None:
            answer = client.post("/api/v1/login", json=LOGIN)
            if answer.status_code == 200:
                data = answer.json()["data"]
                signed.append((data["userId"], data["authToken"]))

        stop = threading.Event()
        clients = [threading.Thread(target=_hammer, args=(base, stop, sign_in)) for _ in range(4)]
        for thread in clients:
            thread.start()
        deadline = time.monotonic() + 10
        while len(signed) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)  # mid-flight: sign-ins are still being answered
        process.wait()
        stop.set()
        for thread in clients:
            thread.join(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    assert len(signed) >= 20, log_text(log)
    with serving(fresh_database, tmp_path / "again.log") as first:
        again = str(first.url.copy_with(path="/")).rstrip("/")
        with httpx.Client(base_url=again, timeout=10.0, trust_env=False) as client:
            refused = [
                token
                for user, token in signed
                if client.get(
                    "/api/v1/me", headers={"X-User-Id": user, "X-Auth-Token": token}
                ).status_code
                != 200
            ]
    assert refused == []


def test_two_workers_on_one_sqlite_file_never_answer_database_is_locked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessiond.db'}"
    log = tmp_path / "serve.log"
    answers: list[int] = []
    with serving(url, log, "--workers", "2") as first:
        base = str(first.url.copy_with(path="/")).rstrip("/")
        _create_user(url)

        def sign_in_and_out(client: httpx.Client) -> None:
            answer = client.post("/api/v1/login", json=LOGIN)
            answers.append(answer.status_code)
            if answer.status_code == 200:
                data = answer.json()["data"]
                headers = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}
                answers.append(client.post("/api/v1/logout", headers=headers).status_code)

        stop = threading.Event()
        clients = [
            threading.Thread(target=_hammer, args=(base, stop, sign_in_and_out)) for _ in range(6)
        ]
        for thread in clients:
            thread.start()
        time.sleep(4)
        stop.set()
        for thread in clients:
            thread.join(timeout=30)

    assert len(answers) > 40
    assert set(answers) == {200}
    assert "database is locked" not in log_text(log)
