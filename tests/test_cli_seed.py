"""`sessiond seed`, driven through Click against a real SQLite file."""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sessiond.cli import main
from sessiond.settings import Settings

# No setting leaks in from the developer's shell; hashing is cheap so the test stays fast.
ENV: dict[str, str | None] = {
    "SESSIOND_CONFIG": None,
    **{f"SESSIOND_{field.name.upper()}": None for field in dataclasses.fields(Settings)},
    "SESSIOND_PASSWORD_TIME_COST": "1",
    "SESSIOND_PASSWORD_MEMORY_COST": "1024",
}


@pytest.fixture
def run() -> CliRunner:
    return CliRunner()


def sessiond(runner: CliRunner, database: Path, line: str) -> Result:
    env = {**ENV, "SESSIOND_DATABASE_URL": f"sqlite:///{database}"}
    return runner.invoke(main, shlex.split(line), env=env)


def test_seed_fills_a_new_tenant_and_reports_it_as_json(run: CliRunner, tmp_path: Path) -> None:
    database = tmp_path / "seed.db"
    assert sessiond(run, database, "migrate").exit_code == 0

    result = sessiond(
        run,
        database,
        "seed --tenant bench --users 5 --sessions 60 --ended-fraction 0.5 --random-seed 3 --json",
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["tenant"] == "bench"
    assert (summary["users"], summary["sessions"], summary["expired"]) == (5, 60, 0)
    assert 10 <= summary["ended"] <= 50
    assert summary["secretKey"].startswith("sk_")
    assert summary["seconds"] >= 0
    assert result.stderr == ""  # no progress bar away from a terminal
    listed = sessiond(run, database, "sessions list --tenant bench --all")
    assert listed.stdout.splitlines()[-1] == "60 of 60 sessions"


def test_seed_into_an_existing_tenant_says_what_it_did(run: CliRunner, tmp_path: Path) -> None:
    database = tmp_path / "seed.db"
    assert sessiond(run, database, "migrate").exit_code == 0

    result = sessiond(run, database, "seed --tenant default --users 2 --sessions 3")

    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"seeded tenant default: 2 users, 3 sessions \(\d ended, \d expired\) in \d+\.\d s\n",
        result.stdout,
    )


def test_seed_refuses_sessions_without_users(run: CliRunner, tmp_path: Path) -> None:
    database = tmp_path / "seed.db"
    assert sessiond(run, database, "migrate").exit_code == 0

    result = sessiond(run, database, "seed --tenant acme --users 0 --sessions 3")

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "sessions need users" in result.stderr
