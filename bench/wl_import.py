"""The synthetic legacy import, via the importer's own benchmark (bench/bench_import.py).

Each size: a generated legacy tree imported by ``python -m database.cli import`` in a child
process (its peak RSS is the importer's own), next to a psycopg2 COPY of exactly the rows it
wrote. Rows: import time vs COPY time (ratio <= 2 means at least half of COPY's rows/s), and
peak memory of the larger import vs the 10x smaller one (flat means ~1x).
"""

from __future__ import annotations

from bench.context import Context
from bench.harness import Result, Stats


def _single(value: float) -> Stats:
    return Stats(n=1, median_ms=value, p95_ms=value, mean_ms=value)


def legacy_import(ctx: Context) -> list[Result]:
    from bench import bench_import

    sizes = [(100, 5_000), (1_000, 50_000)] if ctx.quick else [(1_000, 50_000), (10_000, 500_000)]
    measured = [bench_import.run_size(ctx.settings, c, m, batch_size=200) for c, m in sizes]
    results = []
    for run in measured:
        results.append(
            Result(
                "legacy import (seconds)",
                f"{run['conversations']:,} conversations, {run['messages']:,} messages",
                _single(run["import_seconds"]),
                _single(run["copy_seconds"]),
                target=2.0,
                unit="s",
                note=f"{run['files']:,} files, {run['rows']:,} rows: "
                f"import {run['import_rows_per_s']:,} rows/s "
                f"({run['import_files_per_s']:,} files/s) vs COPY {run['copy_rows_per_s']:,} rows/s; "
                f"peak RSS {run['import_peak_rss_mib']} MiB",
                extra=run,
            )
        )
    small, large = measured
    results.append(
        Result(
            "legacy import peak RSS",
            "10x the data vs 1x",
            _single(large["import_peak_rss_mib"]),
            _single(small["import_peak_rss_mib"]),
            target=1.5,
            unit="MiB",
            note="ratio = peak memory of the larger import / the smaller one (flat = about 1)",
        )
    )
    return results


WORKLOADS = {"import": legacy_import}
