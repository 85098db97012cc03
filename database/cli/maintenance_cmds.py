"""list-users, delete-user, export-user, purge-cache, cleanup: operators' maintenance (and status,
from status_cmd.py).

Destructive commands say what they remove. delete-user asks on a terminal; without one it
refuses (exit 2) unless --yes. purge-cache and cleanup do not ask (cron runs them): use
--dry-run to see what they would remove.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from database.admin.lists import add_list_users
from database.admin.options import reading
from database.cli.runner import UsageError, add_command
from database.cli.status_cmd import register_status
from database.connection import get_engine, get_settings
from database.errors import DatabaseError, NotFoundError, translate
from database.repositories import maintenance

DELETE_ORDER = ("conversations", "messages", "questions", "answers", "sessions", "profile")


def _api():  # noqa: ANN202 - imported late: the API (and its ORM mapping) only when a command needs it
    from database.api import DatabaseAPI

    return DatabaseAPI()


def _counts(counts: dict[str, int]) -> str:
    keys = [k for k in DELETE_ORDER if k in counts] + sorted(k for k in counts if k not in DELETE_ORDER)
    return ", ".join(f"{counts[k]} {k}" for k in keys)


def _confirmed(question: str) -> bool:
    try:
        reply = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return reply.strip().lower() in ("y", "yes")


def cmd_delete_user(args: argparse.Namespace) -> int:
    """Delete a user and everything they own (asks first).

    Removes the account, its profile, quiz sessions, conversations and their messages,
    questions and answers (cache entries belong to no user and stay). On a terminal it shows
    what would go and asks; without a terminal it refuses (exit 2) unless --yes is given.
    Exit 1 if there is no such user.
    """
    username = args.username
    if not args.yes:
        interactive = sys.stdin.isatty()
        if not interactive:
            raise UsageError(
                f"not deleting {username!r} without confirmation: input is not a terminal; add --yes"
            )
        with reading(replica=False) as conn:  # what is about to change, not a replica's lagging copy
            footprint = maintenance.user_footprint(conn, username)
        if footprint is None:
            raise NotFoundError(
                f"no user named {username!r}: check the spelling (list-users shows every user)"
            )
        print(f"user {username!r} owns: {_counts(footprint)}")
        if not _confirmed(f"Delete user {username!r} and all of that?"):
            print("not confirmed: nothing deleted", file=sys.stderr)
            return 1
    with _api() as api:
        removed = api.delete_user(username)
    print(f"deleted user {username!r}: {_counts(removed)}")
    return 0


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then rename it over ``path``: a reader never sees
    half a file, and a failed export leaves an older file untouched. The file is private (0600):
    it holds personal data."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def cmd_export_user(args: argparse.Namespace) -> int:
    """Export all that is stored about a user, as JSON.

    Account (without the password hash), profile, quiz sessions, conversations with their
    parameters and messages, each message with its question and answer. To stdout, or with
    --output FILE to that file, written atomically (temporary file, then rename; mode 0600).
    """
    with _api() as api:
        data = api.export_user(args.username)
    if data is None:
        raise NotFoundError(
            f"no user named {args.username!r}: check the spelling (list-users shows every user)"
        )
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.output is None or args.output == "-":
        sys.stdout.write(text)
        return 0
    target = Path(args.output)
    try:
        _write_atomically(target, text)
    except OSError as exc:
        raise DatabaseError(f"cannot write {target}: {exc.strerror or exc}; choose another --output") from exc
    conversations = data.get("conversations") or []
    print(
        f"exported user {args.username!r} to {target} ({len(conversations)} conversations, {len(text)} bytes)"
    )
    return 0


def cmd_purge_cache(args: argparse.Namespace) -> int:
    """Remove expired cache entries, or all of one --type.

    Without options (or with --expired) it removes the entries past their expiry time; with
    --type TYPE every entry of that type, expired or not. --dry-run only says how many would
    be removed. Does not ask: a cache is rebuilt on demand.
    """
    if args.type is not None:
        what = f"cache entries of type {args.type!r}"
        if args.dry_run:
            with reading(replica=False) as conn:
                count = maintenance.cache_type_count(conn, args.type)
        else:
            with _api() as api:
                count = api.clear_cache(args.type)
    else:
        what = "expired cache entries"
        if args.dry_run:
            with reading(replica=False) as conn:
                count = maintenance.expired_cache_count(conn)
        else:
            with _api() as api:
                count = api.purge_expired_cache()
    print(f"would remove {count} {what} (dry run)" if args.dry_run else f"removed {count} {what}")
    return 0


@contextmanager
def _transaction() -> Iterator[Connection]:
    settings = get_settings()
    try:
        with get_engine().begin() as conn:
            yield conn
    except SQLAlchemyError as exc:
        raise translate(exc, settings.address) from exc


def cmd_cleanup(args: argparse.Namespace) -> int:
    """Delete quiz sessions older than DAYS, in chunks.

    First says what it will delete (how many sessions, their time span, how many conversations
    are linked). Conversations are kept: their session link becomes empty. Each chunk (default
    1000 sessions) is its own transaction, so a long cleanup never holds locks for long and an
    interrupted one keeps what it did. --dry-run stops after saying what it would delete.
    """
    with _transaction() as conn:
        preview = maintenance.old_sessions(conn, args.sessions_older_than)
    cutoff = preview["cutoff"].isoformat()
    if preview["sessions"] == 0:
        print(f"no quiz sessions started before {cutoff}: nothing to delete")
        return 0
    verb = "would delete" if args.dry_run else "deleting"
    print(
        f"{verb} {preview['sessions']} quiz sessions started before {cutoff} "
        f"(oldest {preview['oldest'].isoformat()}, newest {preview['newest'].isoformat()}); "
        f"{preview['conversations']} linked conversations are kept, their session link cleared"
    )
    if args.dry_run:
        print("dry run: nothing deleted")
        return 0
    deleted = chunks = 0
    progress = sys.stderr.isatty()
    while True:
        with _transaction() as conn:
            count = maintenance.delete_old_sessions(conn, preview["cutoff"], args.chunk_size)
        if count == 0:
            break
        deleted, chunks = deleted + count, chunks + 1
        if progress:
            print(f"\r  deleted {deleted}/{preview['sessions']}", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    print(f"deleted {deleted} quiz sessions in {chunks} transactions of at most {args.chunk_size}")
    return 0


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {text!r:.30}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 day, got {value}")
    return value


def _chunk(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r:.30}") from None
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"must be between 1 and 100000, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    add_list_users(subparsers, "python -m database.cli list-users --limit 20 --after alice")
    register_status(subparsers)

    delete_user = add_command(
        subparsers, "delete-user", cmd_delete_user, "python -m database.cli delete-user alice --yes"
    )
    delete_user.add_argument("username", metavar="USERNAME", help="the user to delete (exactly as stored)")
    delete_user.add_argument(
        "--yes", action="store_true", help="do not ask (needed when input is not a terminal)"
    )

    export = add_command(
        subparsers,
        "export-user",
        cmd_export_user,
        "python -m database.cli export-user alice --output alice.json",
    )
    export.add_argument("username", metavar="USERNAME", help="the user to export (exactly as stored)")
    export.add_argument("--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")

    purge = add_command(
        subparsers,
        "purge-cache",
        cmd_purge_cache,
        "python -m database.cli purge-cache --type question --dry-run",
    )
    which = purge.add_mutually_exclusive_group()
    which.add_argument("--expired", action="store_true", help="remove the expired entries (the default)")
    which.add_argument("--type", metavar="TYPE", help="remove every entry of this cache type, expired or not")
    purge.add_argument("--dry-run", action="store_true", help="only say how many entries would be removed")

    cleanup = add_command(
        subparsers,
        "cleanup",
        cmd_cleanup,
        "python -m database.cli cleanup --sessions-older-than 365 --dry-run",
    )
    cleanup.add_argument(
        "--sessions-older-than",
        type=_days,
        required=True,
        metavar="DAYS",
        help="delete quiz sessions that started more than DAYS days ago",
    )
    cleanup.add_argument("--dry-run", action="store_true", help="only say what would be deleted")
    cleanup.add_argument(
        "--chunk-size", type=_chunk, default=1000, metavar="N", help="sessions per transaction (default 1000)"
    )
