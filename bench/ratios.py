"""What every benchmark here shares: operations timed in interleaved rounds (the machines are
shared and noisy), medians reported as ratios to a baseline measured in the same run, and the
command line (a scratch database URL, or a temporary SQLite file)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

Op = Callable[[], Awaitable[object]]


async def _timed(op: Op, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await op()
    return (time.perf_counter() - start) / n


async def measure(ops: dict[str, Op], *, rounds: int, per_round: int) -> dict[str, list[float]]:
    """Seconds per call of each op, one sample per round; the ops take turns within a round."""
    samples: dict[str, list[float]] = {name: [] for name in ops}
    for _ in range(rounds):
        for name, op in ops.items():
            samples[name].append(await _timed(op, per_round))
    return samples


def report(samples: dict[str, list[float]], *, baseline: str, header: str) -> None:
    base = statistics.median(samples[baseline])
    width = max(len(name) for name in samples)
    print(header)
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:>{width}}: {median * 1e3:8.3f} ms  ratio to {baseline} {median / base:6.2f}")


def main(run: Callable[[str, int, int], Awaitable[None]], *, doc: str, per_round: int) -> None:
    """Parses `--database-url`, `--rounds`, `--per-round` and runs `run(url, rounds, per_round)`."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=per_round)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        asyncio.run(run(url, args.rounds, args.per_round))
