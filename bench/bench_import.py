"""Legacy import benchmark: a synthetic legacy tree imported, next to a plain psycopg2 COPY.

    python bench/bench_import.py                # 10,000 conversations / 500,000 messages, and 1/10 of it
    python bench/bench_import.py --scale 0.1    # 1,000 / 50,000, and 100 / 5,000

For each size: generate the tree in a temp dir; import it with ``python -m database.cli import``
in a child process (so peak RSS is the importer's own); dump the rows it wrote with COPY TO;
empty the tables; load the very same rows into the same tables with COPY FROM (one transaction,
same indexes). Reports files/s, rows/s, peak memory (ru_maxrss of the child) and the ratio to
COPY, by wall clock and by CPU seconds (client + every local PostgreSQL process: unlike wall
clock, not distorted by other load on a shared machine), prints JSON and writes it to
bench/results/import-<time>.json. Uses BENCH_DATABASE_URL, or
a fresh embedded PostgreSQL (bench/server.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `database` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import RESULTS_DIR, machine  # noqa: E402
from bench.legacy_tree import generate  # noqa: E402
from bench.server import bench_database, raw_connection, server_version, truncate_all  # noqa: E402

# Parents before children, for COPY FROM with the foreign keys in place.
TABLES = ("users", "user_profiles", "user_sessions", "conversations", "messages", "questions", "answers",
          "cache_entries", "import_files")
FULL_CONVERSATIONS, FULL_MESSAGES = 10_000, 500_000
def postmaster_of(settings) -> int | None:  # noqa: ANN001
    """The benchmark server's postmaster pid, if it runs on this machine (its backends' parent)."""
    conn = raw_connection(settings)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            backend = cur.fetchone()[0]
        # Read while the backend is alive (it exits when the connection closes).
        return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None  # a remote BENCH_DATABASE_URL: its CPU is not visible from here
    finally:
        conn.close()


def postgres_cpu(postmaster: int | None) -> float | None:
    """CPU seconds used so far by the benchmark server: its postmaster and every child process.

    On a shared machine wall-clock time depends on everyone else's load; CPU seconds do not.
    Other PostgreSQL servers on the machine are not counted.
    """
    if postmaster is None:
        return None
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            rest = stat.read_text().rsplit(")", 1)[1].split()
            if int(stat.parent.name) == postmaster or int(rest[1]) == postmaster:
                total += (int(rest[11]) + int(rest[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total


def _self_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child_import(root: str, batch_size: int, postmaster: int | None) -> None:
    """Run in the child process: import, then report the summary, CPU and this process's peak RSS."""
    import resource

    from database.utils.import_data import run_import

    cpu_before, server_before = _self_cpu(), postgres_cpu(postmaster)
    started = time.perf_counter()
    summary = run_import([], root, batch_size=batch_size)
    seconds = time.perf_counter() - started
    server_after = postgres_cpu(postmaster)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_kib / 1024, "client_cpu": _self_cpu() - cpu_before,
                      "server_cpu": None if server_before is None else server_after - server_before,
                      "summary": summary.as_dict()}))


def _counts(conn) -> dict[str, int]:  # noqa: ANN001
    with conn.cursor() as cur:
        result = {}
        for table in TABLES:
            cur.execute(f"SELECT count(*) FROM {table}")
            result[table] = cur.fetchone()[0]
        return result


def copy_baseline(settings, workdir: Path) -> dict:  # noqa: ANN001
    """Dump what the import wrote, empty the tables, and time COPY FROM of the same rows."""
    conn = raw_connection(settings)
    try:
        dumps = {}
        with conn.cursor() as cur:
            for table in TABLES:
                dumps[table] = workdir / f"{table}.copy"
                with dumps[table].open("wb") as out:
                    cur.copy_expert(f"COPY {table} TO STDOUT", out)
        rows = _counts(conn)
        truncate_all(settings)
        conn.autocommit = False
        postmaster = postmaster_of(settings)
        cpu_before, server_before = _self_cpu(), postgres_cpu(postmaster)
        started = time.perf_counter()
        with conn.cursor() as cur:
            for table in TABLES:
                with dumps[table].open("rb") as source:
                    cur.copy_expert(f"COPY {table} FROM STDIN", source)
        conn.commit()
        seconds = time.perf_counter() - started
        client_cpu, server_after = _self_cpu() - cpu_before, postgres_cpu(postmaster)
        assert _counts(conn) == rows
    finally:
        conn.close()
    return {"seconds": seconds, "rows": sum(rows.values()), "rows_per_table": rows, "client_cpu": client_cpu,
            "server_cpu": None if server_before is None else server_after - server_before}


def _cpu(measured: dict) -> float | None:
    """Client plus server CPU seconds (None when the server's processes are not visible)."""
    if measured.get("server_cpu") is None:
        return None
    return round(measured["client_cpu"] + measured["server_cpu"], 2)


def run_size(settings, conversations: int, messages: int, batch_size: int) -> dict:  # noqa: ANN001
    workdir = Path(tempfile.mkdtemp(prefix="greytutor-bench-import-"))
    try:
        started = time.perf_counter()
        files = generate(workdir / "app", conversations, messages)
        generated = time.perf_counter() - started
        size_mib = sum(p.stat().st_size for p in (workdir / "app").rglob("*") if p.is_file()) / 2**20
        print(f"  generated {files} files ({size_mib:.0f} MiB) in {generated:.1f}s", file=sys.stderr)
        truncate_all(settings)
        env = {**os.environ, "DATABASE_URL": settings.url.render_as_string(hide_password=False)}
        postmaster = postmaster_of(settings)
        child = subprocess.run([sys.executable, __file__, "--child-import", str(workdir / "app"),
                                "--batch-size", str(batch_size), "--postmaster", str(postmaster or 0)],
                               env=env, capture_output=True, text=True, check=True)
        imported = json.loads(child.stdout)
        copy = copy_baseline(settings, workdir)
        rows = copy["rows"]
        result = {
            "conversations": conversations, "messages": messages, "files": files, "tree_mib": round(size_mib, 1),
            "import_seconds": round(imported["seconds"], 2),
            "import_files_per_s": round(files / imported["seconds"], 1),
            "import_rows_per_s": round(rows / imported["seconds"]),
            "import_peak_rss_mib": round(imported["peak_rss_mib"], 1),
            "copy_seconds": round(copy["seconds"], 2), "copy_rows_per_s": round(rows / copy["seconds"]),
            "import_vs_copy": round(copy["seconds"] / imported["seconds"], 3),
            "import_cpu_s": _cpu(imported), "copy_cpu_s": _cpu(copy),
            "import_vs_copy_cpu": round(_cpu(copy) / _cpu(imported), 3) if _cpu(imported) and _cpu(copy) else None,
            "load_average": os.getloadavg()[0],
            "rows": rows, "rows_per_table": copy["rows_per_table"], "summary_files": imported["summary"]["files"],
        }
        print(f"  import {result['import_seconds']}s ({result['import_files_per_s']} files/s, "
              f"{result['import_rows_per_s']} rows/s, peak {result['import_peak_rss_mib']} MiB); "
              f"COPY {result['copy_seconds']}s ({result['copy_rows_per_s']} rows/s); "
              f"import/COPY = {result['import_vs_copy']} by wall clock, {result['import_vs_copy_cpu']} by CPU "
              f"(import {result['import_cpu_s']} CPU-s, COPY {result['copy_cpu_s']} CPU-s; "
              f"load average {result['load_average']:.1f})", file=sys.stderr)
        return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/bench_import.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1.0 = 10,000 conversations / 500,000 messages; a tenth of it is measured too")
    parser.add_argument("--batch-size", type=int, default=200, help="the importer's files per transaction")
    parser.add_argument("--reset", action="store_true", help="allow emptying a non-empty BENCH_DATABASE_URL database")
    parser.add_argument("--child-import", metavar="ROOT", help=argparse.SUPPRESS)
    parser.add_argument("--postmaster", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_import:
        _child_import(args.child_import, args.batch_size, args.postmaster or None)
        return 0
    big = (max(10, round(FULL_CONVERSATIONS * args.scale)), max(100, round(FULL_MESSAGES * args.scale)))
    sizes = [(max(1, big[0] // 10), max(10, big[1] // 10)), big]
    with bench_database(reset=args.reset) as (settings, where):
        meta = {"machine": machine(), "database": where, "postgresql": server_version(settings),
                "scale": args.scale, "batch_size": args.batch_size,
                "measured_at": datetime.now(timezone.utc).isoformat()}
        print(f"benchmark database: {where}, PostgreSQL {meta['postgresql']}", file=sys.stderr)
        results = []
        for conversations, messages in sizes:
            print(f"size: {conversations} conversations, {messages} messages", file=sys.stderr)
            results.append(run_size(settings, conversations, messages, args.batch_size))
        truncate_all(settings)
    small, large = results
    payload = {"meta": meta, "results": results,
               "memory_growth": round(large["import_peak_rss_mib"] / small["import_peak_rss_mib"], 2),
               "goal": "import rows/s >= 0.5 x COPY rows/s; peak memory flat as the data grows 10x"}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"import-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps(payload, indent=2))
    print(f"results written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
