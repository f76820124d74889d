"""A real `sessiond serve` cuts off clients that send a request too slowly (slowloris) or stall
mid-body, and keeps serving everyone else, including kept-alive connections."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.helpers.live import serving

pytestmark = pytest.mark.slow

DEADLINES = {"SESSIOND_HTTP_HEAD_TIMEOUT": "1", "SESSIOND_HTTP_BODY_TIMEOUT": "1"}
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> float:
    """Seconds until the server closes `sock`, sending `trickle` a byte at a time meanwhile."""
    started = time.monotonic()
    sock.settimeout(0.2)
    pending = list(trickle)
    while time.monotonic() - started < seconds:
        if pending:
            try:
                sock.sendall(bytes([pending.pop(0)]))
            except OSError:
                return time.monotonic() - started
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - started
    raise AssertionError(f"the connection was still open after {seconds} s")


def _answer(sock: socket.socket) -> bytes:
    sock.settimeout(5)
    data = b""
    while b'{"status":"ok"}' not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    return data


def test_slow_and_stalled_clients_are_cut_off_and_others_served(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessiond.db'}"
    with serving(url, tmp_path / "serve.log", env=DEADLINES) as first:
        port = first.url.port
        assert port is not None
        address = ("127.0.0.1", port)

        with socket.create_connection(address) as silent:
            assert _closed_within(silent, 5) < 3

        with socket.create_connection(address) as slowloris:
            headers = b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + b"X-Slow: " + b"a" * 200
            assert _closed_within(slowloris, 5, trickle=headers) < 3

        with socket.create_connection(address) as stalled:
            stalled.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n")
            stalled.sendall(b'Content-Type: application/json\r\n\r\n{"user":')
            assert _closed_within(stalled, 5) < 3

        with socket.create_connection(address) as kept_alive:
            assert b"200 OK" in _answer_to(kept_alive)
            time.sleep(0.5)
            assert b"200 OK" in _answer_to(kept_alive)


def _answer_to(sock: socket.socket) -> bytes:
    sock.sendall(HEALTHZ)
    return _answer(sock)
