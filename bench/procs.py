"""Server processes for the HTTP benchmark: started on a free loopback port, waited for, and always
stopped again (each runs in its own process group, which is ended on exit, error or Ctrl-C)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

STARTUP_SECONDS = 120.0
STOP_SECONDS = 10.0


class BenchError(Exception):
    """A step of the benchmark could not be done; the message says which and why."""


def environment(extra: Mapping[str, str] | None) -> dict[str, str]:
    """This process's environment without any `SESSIOND_*` setting (the bench chooses those), plus
    `extra`."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SESSIOND_")}
    return {**inherited, **(extra or {})}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class Server:
    name: str
    base: str
    log: Path


@contextmanager
def serving(
    name: str,
    argv: Sequence[str],
    *,
    port: int,
    ready_path: str,
    logs: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[Server]:
    """Runs `argv` until the block ends; ready once `GET ready_path` answers 2xx."""
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environment(env),
            cwd=cwd,
            start_new_session=True,
        )
        try:
            server = Server(name=name, base=f"http://127.0.0.1:{port}", log=log)
            _wait_ready(proc, server, ready_path)
            yield server
        finally:
            _stop(proc)


def _wait_ready(proc: subprocess.Popen[bytes], server: Server, path: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{server.name} exited with {proc.returncode}; see {server.log}")
        try:
            with urllib.request.urlopen(server.base + path, timeout=2) as answer:
                if answer.status < 300:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise BenchError(f"{server.name} did not answer {path} in {STARTUP_SECONDS:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdin: str | None = None,
    timeout: float = 600,
) -> str:
    """Runs a command to completion and returns its standard output; a failure is a BenchError."""
    try:
        done = subprocess.run(
            list(argv),
            input=stdin,
            capture_output=True,
            text=True,
            env=environment(env),
            cwd=cwd,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"{argv[0]} {argv[1] if len(argv) > 1 else ''}: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-600:]
        raise BenchError(f"{' '.join(argv[:3])} exited with {done.returncode}: {tail}")
    return done.stdout


@contextmanager
def terminated_on_sigterm() -> Iterator[None]:
    """Turns SIGTERM into KeyboardInterrupt, so the same cleanup runs as for Ctrl-C."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
