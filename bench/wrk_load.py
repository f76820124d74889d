"""Load from wrk: one bounded run against one URL, read back through bench/wrk/'s Lua scripts."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from procs import BenchError

LUA_DIR = Path(__file__).resolve().parent / "wrk"
MARK = "BENCH_JSON "


@dataclass(frozen=True, slots=True)
class Load:
    connections: int = 32
    threads: int = 2
    seconds: int = 5
    timeout_seconds: int = 10

    def argv(self) -> list[str]:
        threads = min(self.threads, self.connections)
        return [
            f"-c{self.connections}",
            f"-t{threads}",
            f"-d{self.seconds}s",
            f"--timeout={self.timeout_seconds}s",
        ]


@dataclass(frozen=True, slots=True)
class Target:
    """What wrk sends: `script` in bench/wrk/ with its arguments, to `url`."""

    url: str
    script: str = "request.lua"
    args: Sequence[str] = ("GET", "")


def get(url: str, headers: dict[str, str] | None = None) -> Target:
    return Target(url=url, args=("GET", "", *_header_args(headers)))


def post_json(url: str, body: object, headers: dict[str, str] | None = None) -> Target:
    with_type = {"Content-Type": "application/json", **(headers or {})}
    return Target(url=url, args=("POST", json.dumps(body), *_header_args(with_type)))


def _header_args(headers: dict[str, str] | None) -> list[str]:
    return [f"{name}: {value}" for name, value in (headers or {}).items()]


@dataclass(frozen=True, slots=True)
class Result:
    """One run: `done` counts the requests that did what was asked (2xx, or a completed sign-in)."""

    done: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise BenchError("wrk is not installed (Debian: apt-get install wrk)")
    return found


def run(target: Target, load: Load) -> Result:
    argv = [
        require_wrk(),
        *load.argv(),
        "--latency",
        "-s",
        str(LUA_DIR / target.script),
        target.url,
        "--",
        *target.args,
    ]
    env = {"BENCH_WRK_DIR": str(LUA_DIR), "PATH": "/usr/bin:/bin"}
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=env,
            timeout=load.seconds + load.timeout_seconds + 30,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk against {target.url} did not finish") from exc
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(MARK)), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk against {target.url} failed: {(done.stderr or done.stdout)[-400:]}")
    data = json.loads(line[len(MARK) :])
    return Result(
        done=data["done"],
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1e3,
        p99_ms=data["p99_us"] / 1e3,
        errors={name: count for name, count in data["errors"].items() if count},
    )
