"""A PostgreSQL server of a test's own (initdb into a temporary folder, a free loopback port), so a
test may stop and start it without touching the machine's shared one. It runs as the `postgres`
user when the tests run as root, since PostgreSQL refuses to run as root."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.helpers.live import free_port

START_TIMEOUT = 30


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        pytest.fail("PostgreSQL's server binaries (pg_ctl, initdb) are not installed")
    return Path(pg_ctl).parent


class PostgresServer:
    def __init__(self) -> None:
        self._bin = _binaries()
        # Not under pytest's tmp_path: the postgres user cannot reach into root's private folder.
        self._root = Path(tempfile.mkdtemp(prefix="sessiond-pg-"))
        self._data = self._root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self._root, "postgres")
        self._run("initdb", "-D", str(self._data), "-A", "trust", "-U", "postgres", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self._root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "start", "-D", str(self._data), "-w", "-t", str(START_TIMEOUT),
            "-o", options, "-l", str(self._root / "server.log"),
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every connection and shuts down cleanly; `immediate` is a crash."""
        self._run("pg_ctl", "stop", "-D", str(self._data), "-w", "-m", mode)

    def close(self) -> None:
        if (self._data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self._root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self._bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            pytest.fail(f"{program} failed: {done.stderr or done.stdout}")
