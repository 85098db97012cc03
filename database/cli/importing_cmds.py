"""``import`` and ``export-conversation``: the legacy JSON files in, conversations back out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from database.cli.progress import ProgressBar
from database.cli.runner import UsageError, add_command
from database.errors import translate
from database.utils.import_data import DEFAULT_BATCH_FILES, ImportSummary, run_import
from database.utils.legacy import OutsideRoot

RESULT_ORDER = ("imported", "duplicate", "derived", "rejected", "unchanged")


def _table(title: str, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> list[str]:
    cells = [tuple(str(c) for c in header), *[tuple(str(c) for c in row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [title]
    for row in cells:
        first = row[0].ljust(widths[0])
        lines.append("  " + "  ".join([first, *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:]))]))
    return lines


def render_summary(summary: ImportSummary) -> str:
    """The people-readable summary: files per result and kind, rows per table, rejected files."""
    dry = " (dry run: nothing was written)" if summary.dry_run else ""
    lines = [f"import from {summary.root}{dry}: {summary.total_files} file(s) in {summary.seconds:.1f}s", ""]
    kinds = sorted(summary.kinds)
    rows = [(kind, *(summary.kinds[kind].get(r, 0) for r in RESULT_ORDER)) for kind in kinds]
    rows.append(("total", *(summary.files.get(r, 0) for r in RESULT_ORDER)))
    lines += _table("files", ("kind", *RESULT_ORDER), rows)
    table_rows = [(table, count) for table, count in sorted(summary.rows.items())]
    lines += ["", *_table("rows written" if not summary.dry_run else "rows that would be written",
                          ("table", "rows"), table_rows or [("(none)", 0)])]
    if summary.rejected:
        lines += ["", f"rejected files ({len(summary.rejected)}), left for you to check:"]
        lines += [f"  {item['path']}: {item['reason']}" for item in summary.rejected]
    return "\n".join(lines)


def cmd_import(args: argparse.Namespace) -> int:
    """Import the legacy JSON files into the database.

    Conversations, quiz session records, student models and caches.

    With no PATH, every legacy root found under --root (default: the current directory) is
    read; a PATH may be a legacy root, any folder below one, or one file, and must lie inside
    --root (ledger paths are relative to it). The indexer cache (cache/<stage>/) is never read.
    Safe to repeat: unchanged files are skipped, changed files replace what they produced.
    Exit status: 0 all imported (or skipped as duplicate/derived), 3 some files rejected,
    1 an error stopped the import, 2 usage error.
    """
    paths = [*args.paths, *(args.conversations or []), *(args.assessments or [])]
    root = Path(args.root)
    if not root.is_dir():
        raise UsageError(f"--root {args.root}: not a directory")
    if args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    bar = ProgressBar("dry run" if args.dry_run else "importing")
    try:
        summary = run_import(paths, root, dry_run=args.dry_run, batch_size=args.batch_size, progress=bar)
    except (OutsideRoot, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from None
    finally:
        bar.close()
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2))
    else:
        print(render_summary(summary))
    return summary.exit_code


def cmd_export(args: argparse.Namespace) -> int:
    """Print a conversation as legacy JSON (or --all).

    With --all --output-dir DIR, write <conversation_id>.json for every conversation.

    ID is the conversation's id (the legacy conversation_id works too). For an imported file
    the output parses equal to the file. --all writes <conversation_id>.json for each.
    """
    from database.connection import get_engine, get_settings
    from database.utils.export import dumps, export_all, export_conversation

    if args.all == bool(args.id):
        raise UsageError("give one conversation ID, or --all with --output-dir DIR")
    if args.all and not args.output_dir:
        raise UsageError("--all needs --output-dir DIR")
    settings = get_settings()
    try:
        if args.all:
            count = export_all(get_engine(), Path(args.output_dir))
            print(f"wrote {count} conversation(s) to {args.output_dir}")
            return 0
        with get_engine().connect() as conn:
            document = export_conversation(conn, args.id)
    except SQLAlchemyError as exc:
        raise translate(exc, settings.address) from exc
    sys.stdout.write(dumps(document) + "\n")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "import", cmd_import, "python -m database.cli import --dry-run")
    parser.add_argument("paths", nargs="*", metavar="PATH", help="legacy root, folder below one, or file")
    parser.add_argument("--root", default=".", metavar="DIR",
                        help="the app directory the legacy roots are in (default: current directory)")
    parser.add_argument("--conversations", action="append", metavar="DIR", help="as a PATH (original tool's flag)")
    parser.add_argument("--assessments", action="append", metavar="DIR", help="as a PATH (original tool's flag)")
    parser.add_argument("--dry-run", action="store_true", help="report what would happen; write nothing")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_FILES, metavar="N",
                        help=f"files per transaction (default {DEFAULT_BATCH_FILES})")
    export = add_command(subparsers, "export-conversation", cmd_export,
                         "python -m database.cli export-conversation --all --output-dir exported/")
    export.add_argument("id", nargs="?", metavar="ID", help="conversation id")
    export.add_argument("--all", action="store_true", help="export every conversation")
    export.add_argument("--output-dir", metavar="DIR", help="where --all writes <conversation_id>.json files")
