"""`sessiond serve` as a real process: it migrates, answers /healthz, stops on SIGTERM, and starts
again on the same database. PostgreSQL runs too when SESSIOND_TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx
import pytest

from sessiond.compose import open_services
from sessiond.settings import Settings
from tests.helpers.live import SESSIOND, free_port, log_text, server_env, serving

pytestmark = pytest.mark.slow


def tenant_slugs(database_url: str) -> list[str]:
    async def read() -> list[str]:
        services = await open_services(Settings(database_url=database_url))
        try:
            return [tenant.slug for tenant in await services.tenants.list_all()]
        finally:
            await services.close()

    return asyncio.run(read())


def test_serve_migrates_answers_and_starts_again_on_the_same_database(
    fresh_database: str, tmp_path: Path
) -> None:
    with serving(fresh_database, tmp_path / "first.log") as first:
        assert first.json() == {"status": "ok"}
        assert first.headers["content-type"] == "application/json"
    assert tenant_slugs(fresh_database) == ["default"]

    with serving(fresh_database, tmp_path / "second.log") as second:
        assert second.json() == {"status": "ok"}
    assert tenant_slugs(fresh_database) == ["default"]


def test_serve_with_two_workers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessiond.db'}"
    log = tmp_path / "serve.log"
    with serving(url, log, "--workers", "2") as first:
        assert first.json() == {"status": "ok"}
        with httpx.Client(base_url=str(first.url.copy_with(path="/")), trust_env=False) as client:
            answers = [client.get("/healthz") for _ in range(20)]
        assert {(r.status_code, r.text) for r in answers} == {(200, '{"status":"ok"}')}
    assert "Started parent process" in log_text(log)
    assert tenant_slugs(url) == ["default"]


def test_serve_refuses_a_bad_database_url_cleanly(tmp_path: Path) -> None:
    env = server_env("mysql://db/sessiond")
    done = subprocess.run(
        [str(SESSIOND), "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "Error: unsupported database 'mysql': use sqlite:/// or postgresql://"
    )
