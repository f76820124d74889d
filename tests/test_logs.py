"""`sessiond serve` with `SESSIOND_LOG_FORMAT=json`: one JSON object per line, and every answer
carries the request id its log lines name (the caller's own, when it sends a plain one)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.helpers.live import log_text, serving

pytestmark = pytest.mark.slow


def test_json_logs_name_the_request_id_every_answer_carries(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessiond.db'}"
    log = tmp_path / "serve.log"
    with serving(url, log, "--access-log", env={"SESSIOND_LOG_FORMAT": "json"}) as first:
        base = str(first.url.copy_with(path="/")).rstrip("/")
        with httpx.Client(base_url=base, trust_env=False) as client:
            mine = client.get("/healthz", headers={"X-Request-Id": "trace-123"})
            door = client.get("/sessions/whoami", headers={"X-Session-Token": "ory_st_nope"})
            unknown = client.get("/no/such/path")
    assert mine.headers["x-request-id"] == "trace-123"
    assert door.status_code == 401
    assert len(door.headers.get_list("x-request-id")) == 1
    assert unknown.headers["x-request-id"] != door.headers["x-request-id"]

    lines = [json.loads(line) for line in log_text(log).splitlines() if line.strip()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    served = {
        line.get("request_id"): line["message"]
        for line in lines
        if line["logger"] == "uvicorn.access"
    }
    assert "GET /healthz" in served["trace-123"]
    assert "GET /sessions/whoami" in served[door.headers["x-request-id"]]
    assert "ory_st_nope" not in log_text(log)


def test_a_bad_log_format_is_refused_at_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessiond.db'}"
    refused = pytest.raises(pytest.fail.Exception, match="log_format must be text or json")
    with refused, serving(url, tmp_path / "serve.log", env={"SESSIOND_LOG_FORMAT": "xml"}):
        pass
