"""What every benchmark here shares: operations timed in interleaved rounds (the machines are
shared and noisy), medians reported as ratios to a baseline measured in the same run, and the
command line (a scratch database URL, or a temporary SQLite file)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

Op = Callable[[], Awaitable[object]]
T = TypeVar("T")


async def _timed(op: Op, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await op()
    return (time.perf_counter() - start) / n


async def measure(ops: Mapping[str, Op], *, rounds: int, per_round: int) -> dict[str, list[float]]:
    """Seconds per call of each op, one sample per round; the ops take turns within a round."""
    samples: dict[str, list[float]] = {name: [] for name in ops}
    for _ in range(rounds):
        for name, op in ops.items():
            samples[name].append(await _timed(op, per_round))
    return samples


def interleave(names: Iterable[str], run: Callable[[str], T], *, rounds: int) -> dict[str, list[T]]:
    """`run(name)` for every name in turn, `rounds` times over: one sample of each per round."""
    order = list(names)
    samples: dict[str, list[T]] = {name: [] for name in order}
    for _ in range(rounds):
        for name in order:
            samples[name].append(run(name))
    return samples


def paired_ratio(values: Sequence[float], baseline: Sequence[float]) -> float:
    """The median of the per-round ratios: each round's pair was measured under the same load."""
    ratios = [v / b for v, b in zip(values, baseline, strict=True) if b]
    return statistics.median(ratios) if ratios else 0.0


def report(samples: dict[str, list[float]], *, baseline: str, header: str) -> None:
    base = statistics.median(samples[baseline])
    width = max(len(name) for name in samples)
    print(header)
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:>{width}}: {median * 1e3:8.3f} ms  ratio to {baseline} {median / base:6.2f}")


def main(
    run: Callable[[str, int, int], Coroutine[object, object, None]], *, doc: str, per_round: int
) -> None:
    """Parses `--database-url`, `--rounds`, `--per-round` and runs `run(url, rounds, per_round)`."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=per_round)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        asyncio.run(run(url, args.rounds, args.per_round))
