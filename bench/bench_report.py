"""What `make bench` prints and writes: the tables, docs/benchmarks.md and the ratio chart."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wrk_load import Result


@dataclass(frozen=True, slots=True)
class Row:
    """One measured endpoint: its wrk runs (one a round) and its ratios to the baselines."""

    name: str
    setup: str
    results: Sequence[Result]
    ratios: tuple[tuple[str, float], ...] = ()
    goal: str = ""
    met: bool | None = None

    @property
    def per_second(self) -> float:
        return statistics.median(r.per_second for r in self.results)

    @property
    def p50_ms(self) -> float:
        return statistics.median(r.p50_ms for r in self.results)

    @property
    def p99_ms(self) -> float:
        return statistics.median(r.p99_ms for r in self.results)

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.results)


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    unit: str
    rows: Sequence[Row]
    note: str = ""


def _ratios(row: Row) -> str:
    return ", ".join(f"{value:.2f}x {label}" for label, value in row.ratios) or "-"


def _met(row: Row) -> str:
    if row.met is None:
        return "-"
    return "yes" if row.met else "**no**"


def table(section: Section) -> list[str]:
    head = f"| endpoint | setup | {section.unit} | p50 ms | p99 ms | ratio | goal | met |"
    lines = [head, "|---|---|---:|---:|---:|---|---|---|"]
    for row in section.rows:
        failed = f" ({row.failed} failed)" if row.failed else ""
        lines.append(
            f"| {row.name} | {row.setup} | {row.per_second:,.0f}{failed} | {row.p50_ms:.1f} "
            f"| {row.p99_ms:.1f} | {_ratios(row)} | {row.goal or '-'} | {_met(row)} |"
        )
    return lines


def print_sections(sections: Sequence[Section]) -> None:
    for section in sections:
        print(f"\n{section.title}")
        width = max(len(f"{row.name} ({row.setup})") for row in section.rows)
        for row in section.rows:
            label = f"{row.name} ({row.setup})"
            failed = f"  {row.failed} FAILED" if row.failed else ""
            goal = f"  [goal {row.goal}: {_met(row).strip('*')}]" if row.goal else ""
            print(
                f"  {label:<{width}}  {row.per_second:9,.1f} {section.unit}"
                f"  p50 {row.p50_ms:7.1f} ms  p99 {row.p99_ms:7.1f} ms"
                f"  {_ratios(row)}{failed}{goal}"
            )


def machine() -> list[str]:
    cpu = platform.processor() or "unknown"
    memory = "unknown"
    cpuinfo, meminfo = Path("/proc/cpuinfo"), Path("/proc/meminfo")
    if cpuinfo.exists():
        names = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f"{kib / 2**20:.1f} GiB"
    return [
        f"- CPUs (`nproc`): {os.cpu_count()}",
        f"- CPU model: {cpu}",
        f"- memory: {memory}",
        f"- OS: {platform.platform()}, Python {platform.python_version()}",
    ]


def write_markdown(
    path: Path,
    *,
    sections: Sequence[Section],
    facts: Sequence[str],
    method: Sequence[str],
    chart: Path | None,
) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/bench_http.py); do not edit by hand.",
        "",
    ]
    lines += [*facts, "", "## Machine", "", *machine(), ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        if section.note:
            lines += [section.note, ""]
        lines += [*table(section), ""]
    if chart is not None:
        lines += ["## Ratios", "", f"![ratios]({chart.name})", ""]
    lines += ["## How it is measured", "", *method, ""]
    path.write_text("\n".join(lines))


def write_chart(path: Path, sections: Sequence[Section]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars: list[tuple[str, float, bool | None]] = []
    for section in sections:
        for row in section.rows:
            for label, value in row.ratios:
                bars.append((f"{row.name} ({row.setup}) {label}", value, row.met))
    if not bars:
        return
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(bars) + 1.2))
    colours = {True: "#3a7d44", False: "#b23a48", None: "#5a6f8c"}
    names = [name for name, _, _ in reversed(bars)]
    values = [value for _, value, _ in reversed(bars)]
    ax.barh(names, values, color=[colours[met] for _, _, met in reversed(bars)])
    for y, value in enumerate(values):
        ax.text(value, y, f" {value:.2f}x", va="center", fontsize=8)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("ratio (log scale; green: goal met, red: missed, blue: no goal)")
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title("sessiond: ratios measured side by side (make bench)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
