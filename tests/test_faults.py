"""Faults a real `sessiond serve` must survive: killed with SIGKILL while clients sign in (every
sign-in it answered 2xx still authenticates after a restart); two workers on one SQLite file
under concurrent sign-ins and sign-outs (no client ever sees "database is locked"); PostgreSQL
restarted under load (the door's 503 meanwhile, never a 500 or a hang, and recovery without a
restart); and Redis stopped and started again under two nodes' load (no wrong answer meanwhile,
and Redis back in use without a restart)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from tests.helpers.live import (
    SESSIOND,
    free_port,
    log_text,
    server_env,
    serving,
    wait_healthy,
)
from tests.helpers.postgres_server import PostgresServer
from tests.helpers.redis_server import RedisServer

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


@dataclass(frozen=True, slots=True)
class Answer:
    step: str
    status: int
    started: float
    took: float
    body: str


class Recorder:
    """Every answer the clients got, with when it was asked and how long it took."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self._lock = threading.Lock()

    def ask(self, step: str, send: Callable[[], httpx.Response]) -> httpx.Response:
        started = time.monotonic()
        answer = send()
        took = time.monotonic() - started
        with self._lock:
            self.answers.append(Answer(step, answer.status_code, started, took, answer.text))
        return answer


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    """Where PostgreSQL runs for the suite (as under CI), a server of the test's own to restart."""
    if not os.environ.get("SESSIOND_TEST_DATABASE_URL"):
        pytest.skip("SESSIOND_TEST_DATABASE_URL is not set")
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.close()


def _load(
    bases: list[str], recorder: Recorder, stop: threading.Event, clients: int
) -> list[threading.Thread]:
    """Clients that sign in on one node, check the token on the next, sign out on the first and
    check again on the next (expecting 401), until `stop`."""

    def cycle(client: httpx.Client) -> None:
        first, other = bases[0], bases[-1]
        login = recorder.ask("login", lambda: client.post(f"{first}/api/v1/login", json=LOGIN))
        if login.status_code != 200:
            time.sleep(0.05)
            return
        data = login.json()["data"]
        headers = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}
        recorder.ask("me", lambda: client.get(f"{other}/api/v1/me", headers=headers))
        out = recorder.ask("logout", lambda: client.post(f"{first}/api/v1/logout", headers=headers))
        if out.status_code == 200:
            time.sleep(0.1)  # a revoke that has returned is refused everywhere within 100 ms
            recorder.ask(
                "me after logout", lambda: client.get(f"{other}/api/v1/me", headers=headers)
            )

    threads = [
        threading.Thread(target=_hammer, args=("http://unused", stop, cycle))
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    return threads


def test_a_postgresql_restart_under_load_answers_503_and_recovers_without_a_restart(
    private_postgres: PostgresServer, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    recorder = Recorder()
    with serving(private_postgres.url, log) as first:
        base = str(first.url.copy_with(path="/")).rstrip("/")
        _create_user(private_postgres.url)
        stop = threading.Event()
        threads = _load([base], recorder, stop, clients=4)
        time.sleep(1.5)
        private_postgres.stop("fast")
        down = time.monotonic()
        time.sleep(3)
        restarting = time.monotonic()
        private_postgres.start()
        up = time.monotonic()
        time.sleep(6)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    answers = recorder.answers
    during = [a for a in answers if down + 0.5 < a.started < restarting]
    after = [a for a in answers if a.started > up + 3]
    assert {a.status for a in during} == {503}, log_text(log)
    assert all("error-unavailable" in a.body for a in during)
    assert {(a.step, a.status) for a in after} == {
        ("login", 200),
        ("me", 200),
        ("logout", 200),
        ("me after logout", 401),
    }, log_text(log)
    assert {a.status for a in answers} <= {200, 401, 503}
    assert max(a.took for a in answers) < 5, "no request hangs through the outage"
    assert "Traceback" not in log_text(log)


def test_redis_stopped_and_started_under_two_nodes_load_gives_no_wrong_answer(
    fresh_postgres: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    env = {"SESSIOND_REDIS_URL": redis_server.url, "SESSIOND_LOG_FORMAT": "json"}  # timed lines
    recorder = Recorder()
    logs = (tmp_path / "a.log", tmp_path / "b.log")
    with (
        serving(fresh_postgres, logs[0], env=env) as a,
        serving(fresh_postgres, logs[1], env=env) as b,
    ):
        bases = [str(r.url.copy_with(path="/")).rstrip("/") for r in (a, b)]
        _create_user(fresh_postgres)
        stop = threading.Event()
        threads = _load(bases, recorder, stop, clients=4)
        time.sleep(1.5)
        redis_server.stop()
        down = time.monotonic()
        time.sleep(3)
        redis_server.start()
        up = time.monotonic()
        time.sleep(7)  # the guess counters go back to Redis 5 s after it failed
        with httpx.Client(base_url=bases[1], timeout=10.0, trust_env=False) as client:
            wrong = client.post("/api/v1/login", json={**LOGIN, "password": "a wrong one"})
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        counters = redis.Redis.from_url(redis_server.url).keys("sessiond:guesses:*")

    expected = {"login": 200, "me": 200, "logout": 200, "me after logout": 401}
    wrong_answers = [a for a in recorder.answers if a.status != expected[a.step]]
    timeline = [(a.step, a.status, a.started - down) for a in wrong_answers]
    assert timeline == [], log_text(logs[0]) + log_text(logs[1])
    assert len([a for a in recorder.answers if a.started > up]) > 20
    assert wrong.status_code == 401
    assert counters, "a wrong password after Redis came back is counted in Redis again"
    assert "Redis subscription is back" in log_text(logs[1])
