"""Several `sessiond serve` processes over one store: a revoke made through one is refused by the
others within 100 ms and never accepted again, with Redis (two nodes on PostgreSQL, Redis stopped
and started under them) and without it (two workers on the default SQLite file)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.helpers.live import LiveServer, live_server, serving
from tests.helpers.redis_server import RedisServer

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"
CHECKS = 1000
# Plain HTTP on loopback: no TLS context to build, which costs more than a check per client.


def sign_in(base: str, username: str) -> tuple[str, str]:
    """A native Kratos login: the session token and the session id."""
    with httpx.Client(base_url=base, trust_env=False, timeout=10, verify=False) as client:
        flow = client.get("/self-service/login/api").json()["id"]
        done = client.post(
            f"/self-service/login?flow={flow}",
            json={"method": "password", "identifier": username, "password": PASSWORD},
        )
        assert done.status_code == 200, done.text
        body = done.json()
        return body["session_token"], body["session"]["id"]


def whoami(client: httpx.Client, token: str) -> int:
    return client.get("/sessions/whoami", headers={"X-Session-Token": token}).status_code


def cache_state(base: str) -> dict[str, object]:
    with httpx.Client(base_url=base, trust_env=False, timeout=5, verify=False) as client:
        state: dict[str, object] = client.get("/healthz/token-cache").json()
        return state


def wait_for(condition: object, *, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"not so within {within} s"
        time.sleep(0.05)


def key_and_user(node: LiveServer) -> str:
    """A secret key of the default tenant (returned) and the user `ada` in it."""
    key: str = node.cli_json("keys", "create", "--tenant", "default")["secretKey"]
    node.cli(
        "users",
        "create",
        "--tenant",
        "default",
        "--username",
        "ada",
        "--password",
        "-",
        stdin=PASSWORD,
    )
    return key


def revoke(base: str, key: str, session_id: str) -> None:
    with httpx.Client(base_url=base, trust_env=False, timeout=10, verify=False) as client:
        answer = client.delete(
            f"/admin/sessions/{session_id}", headers={"Authorization": f"Bearer {key}"}
        )
        assert answer.status_code == 204, answer.text


def refused_within(client: httpx.Client, token: str) -> float:
    """Seconds from now until the node first refuses `token`."""
    started = time.monotonic()
    while whoami(client, token) == 200:
        assert time.monotonic() - started < 5, "the revoked session was still accepted after 5 s"
    return time.monotonic() - started


def stale_accepts(client: httpx.Client, token: str) -> int:
    return sum(whoami(client, token) == 200 for _ in range(CHECKS))


@pytest.fixture
def two_nodes(
    fresh_postgres: str, redis_server: RedisServer, tmp_path: Path
) -> Iterator[tuple[LiveServer, LiveServer]]:
    env = {"SESSIOND_REDIS_URL": redis_server.url}
    with ExitStack() as stack:
        a = stack.enter_context(live_server(fresh_postgres, tmp_path / "a.log", env=env))
        b = stack.enter_context(live_server(fresh_postgres, tmp_path / "b.log", env=env))
        yield a, b


def test_a_revoke_through_one_node_reaches_the_other_at_once_and_survives_a_redis_outage(
    two_nodes: tuple[LiveServer, LiveServer], redis_server: RedisServer
) -> None:
    a, b = two_nodes
    key = key_and_user(a)
    for node in (a, b):
        wait_for(lambda n=node: cache_state(n.url)["trusted"], within=10)

    with httpx.Client(base_url=b.url, trust_env=False, timeout=10, verify=False) as on_b:
        token, session_id = sign_in(a.url, "ada")
        assert whoami(on_b, token) == 200
        assert cache_state(b.url)["entries"] == 1  # B answers this token from its cache now
        revoke(a.url, key, session_id)
        assert refused_within(on_b, token) < 0.1
        assert stale_accepts(on_b, token) == 0

        redis_server.stop()
        wait_for(lambda: not cache_state(b.url)["trusted"], within=10)
        token, session_id = sign_in(a.url, "ada")  # both nodes now answer from the database
        assert whoami(on_b, token) == 200
        revoke(a.url, key, session_id)
        assert refused_within(on_b, token) < 0.1
        assert stale_accepts(on_b, token) == 0

        redis_server.start()
        for node in (a, b):
            wait_for(lambda n=node: cache_state(n.url)["trusted"], within=15)
        token, session_id = sign_in(a.url, "ada")
        assert whoami(on_b, token) == 200
        assert cache_state(b.url)["entries"] == 1  # cached again
        revoke(a.url, key, session_id)
        assert refused_within(on_b, token) < 0.1
        assert stale_accepts(on_b, token) == 0


def test_without_redis_every_worker_refuses_a_revoke_within_100_ms(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessiond.db'}"
    with serving(url, tmp_path / "serve.log", "--workers", "2") as first:
        base = str(first.url.copy_with(path="/")).rstrip("/")
        key = key_and_user(LiveServer(url=base, database_url=url, env={}))
        token, session_id = sign_in(base, "ada")

        def fresh_connections() -> Iterator[httpx.Client]:
            while True:  # a new connection may land on either worker
                with httpx.Client(
                    base_url=base, trust_env=False, timeout=10, verify=False
                ) as client:
                    yield client

        connections = fresh_connections()
        assert all(whoami(next(connections), token) == 200 for _ in range(100))
        states = [cache_state(base) for _ in range(10)]
        assert all(state["trusted"] for state in states)  # each worker reads the log
        assert sum(int(str(state["hits"])) for state in states) > 0
        revoke(base, key, session_id)
        time.sleep(0.1)
        assert sum(whoami(next(connections), token) == 200 for _ in range(CHECKS)) == 0
