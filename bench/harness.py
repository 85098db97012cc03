"""Timing, statistics and reporting shared by every workload.

Each comparison runs the API call and the hand-written psycopg2 call alternately (API, raw, API,
raw, ...) so both see the same cache state, the same background writer and the same drift.
Latencies are wall-clock per call (``perf_counter``) in milliseconds.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Stats:
    n: int
    median_ms: float
    p95_ms: float
    mean_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> "Stats":
        ms = sorted(s * 1000.0 for s in seconds)
        p95 = ms[max(0, math.ceil(0.95 * len(ms)) - 1)]
        return cls(n=len(ms), median_ms=statistics.median(ms), p95_ms=p95, mean_ms=statistics.fmean(ms))


@dataclass
class Result:
    """One workload at one size: the API next to plain psycopg2 (``raw``)."""

    workload: str
    size: str
    api: Stats | None
    raw: Stats | None
    target: float | None = None  # allowed api/raw median ratio, if the issue sets one
    unit: str = "ms"
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.api is None or self.raw is None or self.raw.median_ms == 0:
            return None
        return self.api.median_ms / self.raw.median_ms

    @property
    def met(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio <= self.target

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        data["met"] = self.met
        return data


def compare(
    api_call: Callable[[int], object],
    raw_call: Callable[[int], object],
    n: int,
    warmup: int = 20,
) -> tuple[Stats, Stats]:
    """Run ``api_call(i)`` and ``raw_call(i)`` alternately ``n`` times each (after ``warmup``
    untimed rounds with negative i); return their latency statistics."""
    for i in range(-warmup, 0):
        api_call(i)
        raw_call(i)
    api_times: list[float] = []
    raw_times: list[float] = []
    clock = time.perf_counter
    for i in range(n):
        start = clock()
        api_call(i)
        middle = clock()
        raw_call(i)
        end = clock()
        api_times.append(middle - start)
        raw_times.append(end - middle)
    return Stats.of(api_times), Stats.of(raw_times)


def measure(call: Callable[[int], object], n: int, warmup: int = 5) -> Stats:
    for i in range(-warmup, 0):
        call(i)
    times: list[float] = []
    clock = time.perf_counter
    for i in range(n):
        start = clock()
        call(i)
        times.append(clock() - start)
    return Stats.of(times)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        # Other work on the machine skews latencies: recorded so a reader can judge the numbers.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.{digits}f}"


def markdown_table(results: list[Result]) -> str:
    lines = [
        "| workload | size | n | API median | API p95 | psycopg2 median | psycopg2 p95 "
        "| ratio | target | met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in results:
        n = r.api.n if r.api else (r.raw.n if r.raw else 0)
        unit = "" if r.unit == "ms" else f" {r.unit}"
        met = {True: "yes", False: "**no**", None: "-"}[r.met]
        cells = [
            f"{_fmt(s.median_ms if s else None)}{unit} | {_fmt(s.p95_ms if s else None)}{unit}"
            for s in (r.api, r.raw)
        ]
        target = f"≤ {r.target:.1f}×" if r.target else "-"
        row = [r.workload, r.size, str(n), *cells, _fmt(r.ratio, 2), target, met]
        lines.append("| " + " | ".join(row) + " |")
    notes = [f"- {r.workload} ({r.size}): {r.note}" for r in results if r.note]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def write_results(results: list[Result], meta: dict[str, Any], quick: bool, path: Path | None = None) -> Path:
    """Write (or rewrite, when ``path`` is given) the JSON results file."""
    if path is None:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS_DIR / f"bench-{stamp}{'-quick' if quick else ''}.json"
    payload = {"meta": meta, "quick": quick, "results": [r.as_json() for r in results]}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path
