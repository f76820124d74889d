"""What `make bench` prints and writes: the tables, docs/benchmarks.md and the ratio chart."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wrk_load import Result


@dataclass(frozen=True, slots=True)
class Ratio:
    """A row's figure over a baseline's, with the goal issue 9 sets for it, if any."""

    label: str
    value: float
    at_least: float | None = None
    at_most: float | None = None

    @property
    def goal(self) -> str:
        if self.at_least is not None:
            return f"≥{self.at_least:g}x {self.label}"
        if self.at_most is not None:
            return f"≤{self.at_most:g}x {self.label}"
        return ""

    @property
    def met(self) -> bool | None:
        if self.at_least is not None:
            return self.value >= self.at_least
        if self.at_most is not None:
            return self.value <= self.at_most
        return None


@dataclass(frozen=True, slots=True)
class Row:
    """One measured endpoint: its runs (one a round), its ratios and its latency goals."""

    name: str
    setup: str
    results: Sequence[Result]
    ratios: tuple[Ratio, ...] = ()
    p50_under_ms: float | None = None
    p99_under_ms: float | None = None

    @property
    def goal(self) -> str:
        goals = [ratio.goal for ratio in self.ratios if ratio.goal]
        if self.p50_under_ms is not None:
            goals.append(f"p50 < {self.p50_under_ms:g} ms")
        if self.p99_under_ms is not None:
            goals.append(f"p99 < {self.p99_under_ms:g} ms")
        return ", ".join(goals)

    @property
    def met(self) -> bool | None:
        checks = [ratio.met for ratio in self.ratios if ratio.met is not None]
        if self.p50_under_ms is not None:
            checks.append(self.p50_ms < self.p50_under_ms)
        if self.p99_under_ms is not None:
            checks.append(self.p99_ms < self.p99_under_ms)
        return all(checks) if checks else None

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
    return ", ".join(f"{ratio.value:.2f}x {ratio.label}" for ratio in row.ratios) or "-"


def _ms(value: float) -> str:
    return f"{value:.1f}" if value else "-"


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
            f"| {row.name} | {row.setup} | {row.per_second:,.1f}{failed} | {_ms(row.p50_ms)} "
            f"| {_ms(row.p99_ms)} | {_ratios(row)} | {row.goal or '-'} | {_met(row)} |"
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

    bars = [
        (f"{row.name} ({row.setup.split(',')[0]}) / {ratio.label}", ratio)
        for section in sections
        for row in section.rows
        for ratio in row.ratios
    ]
    if not bars:
        return
    bars.reverse()
    colours = {True: "#3a7d44", False: "#b23a48", None: "#5a6f8c"}
    fig, ax = plt.subplots(figsize=(10, 0.4 * len(bars) + 1.4))
    ax.barh(
        [name for name, _ in bars],
        [ratio.value for _, ratio in bars],
        color=[colours[ratio.met] for _, ratio in bars],
    )
    for y, (_, ratio) in enumerate(bars):
        ax.text(ratio.value, y, f" {ratio.value:.2f}x", va="center", fontsize=8)
        goal = ratio.at_least if ratio.at_least is not None else ratio.at_most
        if goal is not None:
            ax.plot([goal, goal], [y - 0.4, y + 0.4], color="black", linewidth=2)
    ax.axvline(1.0, color="grey", linewidth=0.6, linestyle="--")
    ax.set_xscale("log")
    ax.set_xlim(
        min(0.5, *(r.value / 2 for _, r in bars)), max(5.0, *(r.value * 2 for _, r in bars))
    )
    ax.set_xlabel("ratio, log scale; black tick: the goal; green: met, red: missed, blue: no goal")
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title("sessiond over HTTP, as ratios measured side by side (make bench)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def git_head(root: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0].split(" Copyright")[0]
