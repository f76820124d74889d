"""The metrics of one process, and the directory the workers of one `serve` count in."""

from __future__ import annotations

from pathlib import Path

import pytest

from sessiond.domain.errors import InvalidInput
from sessiond.domain.sign_in_outcomes import SignInOutcome
from sessiond.infra.metrics import MULTIPROCESS_ENV, Metrics, shared_metrics_dir
from tests.helpers.metrics import Scrape


def _scraped(metrics: Metrics) -> Scrape:
    return Scrape.parse(metrics.exposition(live_sessions=None).decode())


def test_each_metrics_counts_alone() -> None:
    first, second = Metrics(), Metrics()
    first.signed_in("kratos", SignInOutcome.THROTTLED)
    first.signed_in("kratos", SignInOutcome.TOO_MANY_CODES)
    first.signed_in("kratos", SignInOutcome.WRONG_CREDENTIALS)

    scraped = _scraped(first)
    assert scraped.value("sessiond_sign_ins_total", door="kratos", outcome="throttled") == 1
    assert scraped.value("sessiond_throttled_attempts_total", door="kratos", limit="password") == 1
    limit = {"door": "kratos", "limit": "second_factor"}
    assert scraped.value("sessiond_throttled_attempts_total", **limit) == 1
    assert len(scraped.labels_of("sessiond_throttled_attempts_total")) == 2
    assert _scraped(second).labels_of("sessiond_sign_ins_total") == []


def test_live_sessions_are_exposed_only_when_read() -> None:
    metrics = Metrics()
    assert _scraped(metrics).labels_of("sessiond_live_sessions") == []
    read = Scrape.parse(metrics.exposition(live_sessions={"b": 0, "a": 7}).decode())
    assert read.value("sessiond_live_sessions", tenant="a") == 7
    assert read.has("sessiond_live_sessions", tenant="b")


def test_serve_makes_a_directory_for_its_workers_and_removes_it() -> None:
    env: dict[str, str] = {}
    with shared_metrics_dir(env) as made:
        assert env == {MULTIPROCESS_ENV: made}
        assert Path(made).is_dir()
    assert env == {}
    assert not Path(made).exists()


def test_serve_keeps_the_operator_s_directory(tmp_path: Path) -> None:
    env = {MULTIPROCESS_ENV: str(tmp_path)}
    with shared_metrics_dir(env) as given:
        assert given == str(tmp_path)
    assert env == {MULTIPROCESS_ENV: str(tmp_path)}
    assert tmp_path.is_dir()


def test_serve_refuses_an_operator_s_directory_that_is_not_there(tmp_path: Path) -> None:
    env = {MULTIPROCESS_ENV: str(tmp_path / "missing")}
    refused = pytest.raises(InvalidInput, match="PROMETHEUS_MULTIPROC_DIR is not a directory")
    with refused, shared_metrics_dir(env):
        pass
