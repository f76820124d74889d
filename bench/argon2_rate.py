"""The raw argon2id rate a sign-in cannot beat: verifications per second at sessiond's parameters,
the best of the thread counts a Python process would hash in.

sessiond verifies passwords on a pool of one thread per core (argon2-cffi releases the GIL, so they
hash on every core); Python's default executor, which `asyncio.to_thread` uses, has
`min(32, cpu_count + 4)`. The baseline runs both counts in one process, verifying the same kind of
hash (argon2id over the password's SHA-256 hex digest, parallelism 1, 32-byte hash, 16-byte salt),
and keeps the faster, so no choice of sessiond's makes its own baseline easier to meet.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import argon2

from sessiond.settings import Settings


def thread_counts() -> tuple[int, ...]:
    """sessiond's hashing threads (one per core) and asyncio's default executor size."""
    cores = os.cpu_count() or 1
    return tuple(sorted({cores, min(32, cores + 4)}))


def best_rate(settings: Settings, *, seconds: float) -> float:
    """The faster of `thread_counts()`, each run for `seconds`."""
    return max(
        verifications_per_second(settings, seconds=seconds, threads=threads)
        for threads in thread_counts()
    )


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
