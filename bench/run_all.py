"""Run every benchmark: ``python -m bench`` (or ``python bench/run_all.py``); ``--quick`` for a smoke run.

Starts a fresh embedded PostgreSQL in a temp dir (or uses BENCH_DATABASE_URL), runs each
workload with DatabaseAPI and plain psycopg2 side by side, prints a Markdown table and writes
the same results as JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` and `database` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import wl_admin, wl_cache_auth, wl_conversations, wl_import  # noqa: E402
from bench.context import Context  # noqa: E402
from bench.harness import Result, machine, markdown_table, write_results  # noqa: E402
from bench.server import bench_database, raw_connection, server_version, truncate_all  # noqa: E402

WORKLOADS: dict[str, Callable[[Context], list[Result]]] = {
    **wl_conversations.WORKLOADS,
    **wl_cache_auth.WORKLOADS,
    **wl_admin.WORKLOADS,
    **wl_import.WORKLOADS,
}

# Workloads of single DatabaseAPI calls, also run with SQLAlchemy's stock pre-ping (a SELECT 1
# round trip per checkout) instead of the package's quiet-socket ping, to show what it saves.
VARIANT_WORKLOADS = ("add_message", "get_conversation", "get_messages", "cache")
STOCK_PING = "stock SELECT 1 pre-ping"


def _stock_ping_engine(settings: Any) -> Any:
    from database.connection import make_engine

    engine = make_engine(settings)
    del engine.dialect.do_ping  # drop database/ping.py's instance attribute: the dialect's own again
    return engine


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Benchmark DatabaseAPI against hand-written psycopg2; print a table, save JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and call counts (a smoke run of a few minutes)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(WORKLOADS),
        metavar="WORKLOAD",
        help=f"run only this workload (repeatable): {', '.join(sorted(WORKLOADS))}",
    )
    parser.add_argument(
        "--no-variants",
        action="store_true",
        help="skip the rows of the API with SQLAlchemy's stock pre-ping",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="allow emptying the tables of a non-empty BENCH_DATABASE_URL database",
    )
    args = parser.parse_args(argv)
    selected = args.only or list(WORKLOADS)

    from database.api import DatabaseAPI

    # SIGTERM (e.g. `timeout`) unwinds like Ctrl-C: the embedded server is stopped, results kept.
    signal.signal(signal.SIGTERM, _interrupt)
    results: list[Result] = []
    timings: dict[str, float] = {}
    runs = [(name, "") for name in selected]
    if not args.no_variants:
        runs += [(name, STOCK_PING) for name in selected if name in VARIANT_WORKLOADS]
    path = None
    with bench_database(reset=args.reset) as (settings, where):
        meta = {
            "machine": machine(),
            "database": where,
            "postgresql": server_version(settings),
            "bcrypt_rounds": settings.bcrypt_rounds,
            "workloads": selected,
            "seconds_per_workload": timings,
        }
        print(f"benchmark database: {where}, PostgreSQL {meta['postgresql']}", file=sys.stderr)
        try:
            for name, variant in runs:
                label = f"{name} [{variant}]" if variant else name
                truncate_all(settings)
                raw = raw_connection(settings)
                started = time.perf_counter()
                print(f"running {label} ...", file=sys.stderr, flush=True)
                engine = _stock_ping_engine(settings) if variant == STOCK_PING else None
                try:
                    api = DatabaseAPI(engine, settings=settings) if engine else DatabaseAPI(settings=settings)
                    with api:
                        ctx = Context(settings=settings, api=api, raw=raw, quick=args.quick, variant=variant)
                        results.extend(WORKLOADS[name](ctx))
                finally:
                    raw.close()
                    if engine is not None:
                        engine.dispose()
                timings[label] = round(time.perf_counter() - started, 1)
                print(f"  {label}: {timings[label]}s", file=sys.stderr, flush=True)
                # Saved after every workload: an interrupted run keeps what it measured.
                path = write_results(results, meta, args.quick, path)
        finally:
            meta["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
            path = write_results(results, meta, args.quick, path)
    print(markdown_table(results))
    print(f"\nresults written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
