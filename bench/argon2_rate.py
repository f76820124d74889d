"""The raw argon2id rate a sign-in cannot beat: verifications per second at sessiond's parameters,
in as many threads as one `sessiond serve` worker hashes in.

sessiond verifies passwords with `asyncio.to_thread`, i.e. on the event loop's default executor,
whose size is `min(32, cpu_count + 4)`; argon2-cffi releases the GIL, so those threads hash on every
core. The baseline runs the same number of threads in one process, verifying the same kind of hash
(argon2id over the password's SHA-256 hex digest, parallelism 1, 32-byte hash, 16-byte salt).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import argon2

from sessiond.settings import Settings


def executor_threads() -> int:
    """The size of asyncio's default executor, which `asyncio.to_thread` uses."""
    return min(32, (os.cpu_count() or 1) + 4)


def hasher(settings: Settings) -> argon2.PasswordHasher:
    return argon2.PasswordHasher(
        time_cost=settings.password_time_cost,
        memory_cost=settings.password_memory_cost,
        parallelism=1,
        hash_len=32,
        salt_len=16,
        type=argon2.Type.ID,
    )


def verifications_per_second(settings: Settings, *, seconds: float, threads: int) -> float:
    ph = hasher(settings)
    secret = hashlib.sha256(b"correct horse battery staple").hexdigest()
    stored = ph.hash(secret)
    deadline = time.monotonic() + seconds
    counts: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        count = 0
        while time.monotonic() < deadline:
            ph.verify(stored, secret)
            count += 1
        with lock:
            counts.append(count)

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in range(threads):
            pool.submit(work)
    return sum(counts) / (time.monotonic() - start)
