"""``move-to-legacy``: archive the imported legacy files into legacy/ (see docs/MOVE_TO_LEGACY.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from database.cli.runner import UsageError, add_command
from database.utils.move_to_legacy import REASONS, BadLocation, MoveReport, move_to_legacy


def _print_list(title: str, lines: list[str]) -> None:
    if lines:
        print(f"{title}:")
        for line in lines:
            print(f"  {line}")


def _print_report(report: MoveReport) -> None:
    plan = report.plan
    verb = "would move" if report.dry_run else "moved"
    moves = [m.path for m in plan.moves] if report.dry_run else report.moved
    print(f"root: {plan.root}")
    print(f"legacy directory: {plan.legacy_dir}")
    _print_list(f"{verb} ({len(moves)})", moves)
    _print_list(
        f"left in place ({len(report.left)})",
        [f"{item.path}  [{REASONS[item.reason]}{': ' + item.detail if item.detail else ''}]" for item in report.left],
    )
    _print_list(
        f"clashes, not moved ({len(report.clashes)})",
        [
            f"{c.path}  [legacy/ already has {'an identical' if c.identical else 'a different'} file]"
            for c in report.clashes
        ],
    )
    _print_list(f"FAILED ({len(report.failed)})", [f"{f.path}  [{f.error}]" for f in report.failed])
    _print_list(f"in the ledger but not found ({len(plan.missing)})", plan.missing)
    if report.removed_dirs:
        _print_list(f"removed empty directories ({len(report.removed_dirs)})", report.removed_dirs)

    by_reason = report.left_by_reason()
    reasons = ", ".join(f"{code.replace('_', ' ')} {n}" for code, n in sorted(by_reason.items()))
    print(f"\nsummary{' (dry run, nothing was changed)' if report.dry_run else ''}:")
    print(f"  {verb}: {len(moves)}")
    print(f"  left in place: {len(report.left)}{f' ({reasons})' if reasons else ''}")
    print(f"  clashes: {len(report.clashes)}")
    if report.failed:
        print(f"  failed: {len(report.failed)}")
    if plan.already_in_legacy:
        print(f"  already in legacy/ from an earlier run: {plan.already_in_legacy}")
    if not moves and not report.failed:
        print("  nothing to move")


def cmd_move_to_legacy(args: argparse.Namespace) -> int:
    """Move imported legacy files into legacy/ (same paths).

    Lists every file left in place and why.

    A file moves only if the import ledger has it as imported, duplicate or derived and its
    sha256 still matches. Rejected, never-imported and changed files stay where they are and
    are listed. Nothing in legacy/ is ever overwritten (a clash is reported and skipped).
    Directories emptied by the moves are removed. Safe to run again.
    Exit status: 0 done as planned (files left in place are not errors), 1 a move failed or
    the database cannot be used, 2 usage error.
    """
    root = args.root if args.root is not None else os.getcwd()
    if not os.path.isdir(root):
        raise UsageError(f"--root {root} is not a directory")
    if args.legacy_dir is not None and os.path.exists(args.legacy_dir) and not os.path.isdir(args.legacy_dir):
        raise UsageError(f"--legacy-dir {args.legacy_dir} exists and is not a directory")
    try:
        report = move_to_legacy(root, args.legacy_dir, dry_run=args.dry_run)
    except BadLocation as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_report(report)
    if report.failed:
        print(f"error: {len(report.failed)} move(s) failed; those files are still in place", file=sys.stderr)
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers, "move-to-legacy", cmd_move_to_legacy, "python -m database.cli move-to-legacy --dry-run"
    )
    parser.add_argument("--root", metavar="DIR", help="the app directory holding the legacy files (default: .)")
    parser.add_argument("--legacy-dir", metavar="DIR", help="where the files go (default: ROOT/legacy)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    parser.add_argument("--json", action="store_true", help="print the report as JSON (for scripts)")
