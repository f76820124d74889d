"""`sessiond serve --workers 2` and `/metrics`: whichever worker answers a scrape, it adds up both
workers' counts, reads the live sessions once (never once per worker), and the directory serve
made for the counts is gone once it stops."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.helpers.live import SESSIOND, server_env, serving
from tests.helpers.metrics import Scrape, parse_answer

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
CHECKS = "sessiond_token_checks_total"
CREATE_USER = ("users", "create", "--tenant", "default", "--username", "ann", "--password", "-")
BATCH = 40
MAX_BATCHES = 25


def _checks_by_worker(directory: Path) -> dict[str, float]:
    """Token checks in each worker's own file (`counter_<pid>.db`)."""
    counted = {}
    for path in sorted(directory.glob("counter_*.db")):
        families = MultiProcessCollector.merge([str(path)])  # type: ignore[no-untyped-call]
        counted[path.stem] = sum(
            sample.value
            for family in families
            for sample in family.samples
            if sample.name == CHECKS
        )
    return counted


def _unknown_tokens(base: str, count: int) -> None:
    """`count` token checks, each on a connection of its own, so that both workers take some."""
    headers = {"X-User-Id": "someone", "X-Auth-Token": "not-a-token", "Connection": "close"}

    def check(times: int) -> None:
        with httpx.Client(base_url=base, trust_env=False, timeout=10.0) as client:
            for _ in range(times):
                assert client.get("/api/v1/me", headers=headers).status_code == 401

    threads = [threading.Thread(target=check, args=(count // 4,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_two_workers_add_up_in_every_scrape(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessiond.db'}"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    log = tmp_path / "serve.log"
    with serving(url, log, "--workers", "2", env={"TMPDIR": str(scratch)}) as first:
        base = str(first.url.copy_with(path="/")).rstrip("/")
        [shared] = scratch.glob("sessiond-metrics-*")
        _create_user(url)
        with httpx.Client(base_url=base, trust_env=False, timeout=10.0) as client:
            login = client.post("/api/v1/login", json={"user": "ann", "password": PASSWORD})
            assert login.status_code == 200, login.text
            sent = 0
            for _ in range(MAX_BATCHES):
                _unknown_tokens(base, BATCH)
                sent += BATCH
                if len([n for n in _checks_by_worker(shared).values() if n > 0]) == 2:
                    break
            by_worker = _checks_by_worker(shared)
            assert len([n for n in by_worker.values() if n > 0]) == 2, by_worker

            scrapes = [_scrape(client) for _ in range(6)]
    assert not shared.exists()

    for scraped in scrapes:
        assert scraped.value(CHECKS, outcome="unknown") == sent == sum(by_worker.values())
        assert scraped.value("sessiond_token_check_duration_seconds_count") == sent
        assert scraped.value("sessiond_sign_ins_total", door="rocketchat", outcome="success") == 1
        assert scraped.value("sessiond_live_sessions", tenant="default") == 1


def _scrape(client: httpx.Client) -> Scrape:
    return parse_answer(client.get("/metrics", headers={"Connection": "close"}))


def _create_user(database_url: str) -> None:
    done = subprocess.run(
        [str(SESSIOND), *CREATE_USER],
        input=f"{PASSWORD}\n",
        env=server_env(database_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
