"""``status``: server, version, migration revision against head, rows per table, database size."""

from __future__ import annotations

import argparse
import json

from database.admin.options import reading
from database.cli.runner import add_command
from database.connection import get_settings
from database.models import Base
from database.repositories import maintenance
from database.schema import current_revision, head_revision

# Below this many rows (by the planner's estimate) a table is counted exactly; above it the
# estimate is shown: count(*) on tens of millions of messages takes seconds.
EXACT_BELOW = 100_000


def _size(nbytes: int) -> str:
    size = float(nbytes)
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{nbytes} bytes"  # unreachable


def gather(exact: bool) -> dict[str, object]:
    """Everything status reports, as one JSON-serialisable dict."""
    from database.cli.server_cmds import embedded

    settings = get_settings()
    tables = list(Base.metadata.sorted_tables)
    with reading(replica=False) as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar_one()
        revision = current_revision(conn)
        estimates = maintenance.table_estimates(conn, tables)
        present = [t for t in tables if t.name in estimates]
        to_count = [t for t in present if exact or estimates[t.name] < EXACT_BELOW]  # -1: never analysed
        counted = maintenance.exact_counts(conn, to_count)
        size = maintenance.database_size(conn)
    head = head_revision()
    rows = {
        t.name: {"rows": counted[t.name], "exact": True}
        if t.name in counted
        else {"rows": estimates[t.name], "exact": False}
        for t in present
    }
    return {
        "database": settings.safe_url,
        "server": {"version": version, "embedded_running": embedded(settings).is_running()},
        "revision": revision,
        "head": head,
        "up_to_date": revision == head,
        "size_bytes": size,
        "tables": rows,
        "missing_tables": [t.name for t in tables if t.name not in estimates],
    }


def cmd_status(args: argparse.Namespace) -> int:
    """Show server, schema revision, table rows, size.

    Server: the PostgreSQL version and whether it is the embedded one; schema revision: the
    database's migration revision against the newest (head); table rows; database size.

    Row counts are exact for tables under 100,000 rows (by the planner's estimate, or never
    analysed) and the planner's estimate (pg_class.reltuples, marked ~) for bigger ones;
    --exact counts every table (slow on big tables). Exit 1 if the database cannot be reached.
    """
    report = gather(args.exact)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    server = report["server"]
    assert isinstance(server, dict)
    where = "the embedded server (running)" if server["embedded_running"] else "an external server"
    revision, head = report["revision"], report["head"]
    if revision is None:
        state = f"no schema (head is {head}): run python -m database.cli init"
    elif report["up_to_date"]:
        state = f"{revision} (head {head}: up to date)"
    else:
        state = f"{revision} (head is {head}: run python -m database.cli init)"
    print(f"database:  {report['database']}")
    print(f"server:    PostgreSQL {server['version']} on {where}")
    print(f"migration: {state}")
    print(f"size:      {_size(int(report['size_bytes']))}")  # type: ignore[call-overload]
    tables = report["tables"]
    assert isinstance(tables, dict)
    if tables:
        width = max(len(name) for name in tables)
        print("rows (~ = planner estimate):")
        for name, info in tables.items():
            mark = "" if info["exact"] else "~"
            print(f"  {name.ljust(width)}  {mark}{info['rows']:,}")
    return 0


def register_status(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "status", cmd_status, "python -m database.cli status --json")
    parser.add_argument("--exact", action="store_true", help="count every table exactly (slow on big tables)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
