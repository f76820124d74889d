"""Webhooks from a real `sessiond serve`: killed with SIGKILL while a receiver holds a delivery,
the event is delivered again after a restart (at least once), and the `sessiond webhooks`
commands show and replay what happened."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sessiond.cli import main
from sessiond.settings import Settings
from tests.helpers.live import TEST_ENV, free_port, serving, start_serve, wait_healthy
from tests.helpers.webhook_receiver import receiving

pytestmark = pytest.mark.slow

FAST = {
    "SESSIOND_WEBHOOK_POLL": "0.05",
    "SESSIOND_WEBHOOK_FIRST_RETRY": "0.1",
    "SESSIOND_WEBHOOK_TIMEOUT": "1",
    "SESSIOND_WEBHOOK_LEASE": "2",
}
CREATE_USER = ("users", "create", "--tenant", "default", "--username", "hooked", "--password", "-")


def _cli(database_url: str, *args: str, stdin: str | None = None) -> str:
    """Runs `sessiond` in this process (a fresh interpreter costs seconds to import it)."""
    env: dict[str, str | None] = {
        **{f"SESSIOND_{f.name.upper()}": None for f in dataclasses.fields(Settings)},
        **TEST_ENV,
        **FAST,
        "SESSIOND_DATABASE_URL": database_url,
    }
    done = CliRunner().invoke(main, list(args), input=stdin, env=env)
    assert done.exit_code == 0, f"sessiond {' '.join(args)}: {done.output}"
    return done.stdout


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _delivered(database_url: str) -> dict[str, object]:
    """The one delivery, once its answer is recorded (that follows the receiver's reply)."""
    for _ in range(200):
        [delivery] = _json_lines(_cli(database_url, "webhooks", "list-deliveries", "--json"))
        if delivery["status"] != "pending":
            return delivery
        time.sleep(0.05)
    raise AssertionError(f"the delivery stayed pending: {delivery}")


def test_a_delivery_cut_off_by_kill_9_is_delivered_after_a_restart(
    fresh_database: str, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    port = free_port()
    with receiving() as receiver:
        receiver.hold.set()
        process = start_serve(fresh_database, log, port, env=FAST)
        try:
            wait_healthy(process, f"http://127.0.0.1:{port}", log)
            [made] = _json_lines(
                _cli(
                    fresh_database,
                    *("webhooks", "create", "--tenant", "default", "--url", receiver.url),
                    *("--event", "user.created", "--json"),
                )
            )
            secret = str(made["secret"])
            _cli(fresh_database, *CREATE_USER, stdin="a long enough password\n")
            [held] = receiver.wait_for(lambda got: len(got) >= 1)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        receiver.hold.clear()

        with serving(fresh_database, log, env=FAST):
            got = receiver.wait_for(lambda got: len(got) >= 2)
            delivery = _delivered(fresh_database)
            replayed = _cli(fresh_database, "webhooks", "replay", held.id, "--json")
            again = receiver.wait_for(lambda got: len(got) >= 3)
            failed = _cli(fresh_database, "webhooks", "list-deliveries", "--status", "failed")
            listed = _json_lines(
                _cli(fresh_database, "webhooks", "list", "--tenant", "default", "--json")
            )
            _cli(fresh_database, "webhooks", "delete", "--tenant", "default", str(made["id"]))
            after = _cli(fresh_database, "webhooks", "list", "--tenant", "default")

    assert [m.id for m in got] == [held.id, held.id]
    assert all(m.verified(secret)["type"] == "user.created" for m in again)
    assert delivery["status"] == "delivered"
    assert delivery["attempts"] == 2
    assert delivery["eventId"] == held.id
    assert _json_lines(replayed) == [{"replayed": 1}]
    assert failed == ""
    assert [w["id"] for w in listed] == [made["id"]]
    assert "secret" not in listed[0]
    assert after == ""
