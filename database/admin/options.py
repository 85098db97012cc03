"""What the admin commands share: argument types, the list options, the read-only connection."""

from __future__ import annotations

import argparse
import dataclasses
import re
import shlex
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from database.cli.runner import Command, add_command
from database.connection import get_engine, get_settings, make_engine
from database.errors import NotFoundError, translate
from database.repositories import admin_queries as queries

MAX_LIMIT = 10_000
# What a user would paste from the table (uuid.UUID would also take 32 bare hex digits or braces).
_UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def uuid_arg(text: str) -> uuid.UUID:
    """argparse type: an id as the tables print it."""
    if not _UUID_TEXT.match(text.strip()):
        raise argparse.ArgumentTypeError(
            f"not an id: {text!r:.60} (ids are UUIDs like 3fa85f64-5717-4562-b3fc-2c963f66afa6)"
        )
    return uuid.UUID(text.strip())


def when_arg(text: str) -> datetime:
    """argparse type: ISO-8601 date or date-time; without an offset it means UTC."""
    raw = text.strip()
    if raw[-1:] in ("Z", "z"):
        raw = raw[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        try:
            value = datetime.combine(date.fromisoformat(raw), datetime.min.time())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"not an ISO-8601 date or time: {text!r:.60} (e.g. 2025-06-02, 2025-06-02T17:40, "
                "2025-06-02T17:40:00+02:00; without an offset it is UTC)"
            ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def limit_arg(text: str) -> int:
    """argparse type: rows per page, 1..MAX_LIMIT."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r:.30}") from None
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_LIMIT}, got {value}")
    return value


def position_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a message position (a whole number): {text!r:.30}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"positions start at 0, got {value}")
    return value


def list_command(
    subparsers: argparse._SubParsersAction,
    name: str,
    func: Command,
    example: str,
    *,
    key: str,
    key_type: Any = uuid_arg,
    times: str | None = None,
) -> argparse.ArgumentParser:
    """A list subcommand with the options every list has: --json/--jsonl, --limit, --after and,
    when ``times`` names what the time range applies to, --since/--until."""
    parser = add_command(subparsers, name, func, example)
    formats = parser.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help="print one JSON array (values never shortened)")
    formats.add_argument("--jsonl", action="store_true", help="print one JSON object per line")
    parser.add_argument(
        "--limit",
        type=limit_arg,
        default=50,
        metavar="N",
        help=f"rows per page (default 50, at most {MAX_LIMIT})",
    )
    parser.add_argument(
        "--after",
        type=key_type,
        metavar="KEY",
        help=f"continue after this {key} (the table's last line gives the command for the next page)",
    )
    if times:
        parser.add_argument(
            "--since",
            type=when_arg,
            metavar="WHEN",
            help=f"only {times} at or after WHEN (ISO-8601 date or date-time; no offset = UTC)",
        )
        parser.add_argument(
            "--until",
            type=when_arg,
            metavar="WHEN",
            help=f"only {times} before WHEN (same format as --since)",
        )
    parser.set_defaults(list_parser=parser)
    return parser


def window(args: argparse.Namespace) -> queries.Window:
    return queries.Window(
        limit=args.limit,
        after=args.after,
        since=getattr(args, "since", None),
        until=getattr(args, "until", None),
    )


def _replay(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def next_page_command(args: argparse.Namespace, key: Any) -> str:
    """The exact command line that prints the page after this one (same filters, --after KEY)."""
    parser: argparse.ArgumentParser = args.list_parser
    positionals: list[str] = []
    words: list[str] = []
    for action in parser._actions:
        if action.dest in ("help", "after", "json", "jsonl"):
            continue
        value = getattr(args, action.dest, None)
        if not action.option_strings:
            positionals.append(_replay(value))
        elif action.nargs == 0:  # flags (store_true / store_const): replay the one that was given
            if value == action.const and value != action.default:
                words.append(action.option_strings[0])
        elif action.dest == "limit" or (value is not None and value != action.default):
            words += [action.option_strings[0], _replay(value)]
    words += ["--after", _replay(key)]
    return f"{parser.prog} {shlex.join(positionals + words)}"


@contextmanager
def reading(replica: bool = True) -> Iterator[Connection]:
    """A read-only connection (PostgreSQL refuses writes on it): the replica in DATABASE_READ_URL
    when one is configured (and ``replica``), else the process's engine. SQLAlchemy errors become
    ours here."""
    settings = get_settings()
    owned = None
    if replica and settings.read_url:
        replica = dataclasses.replace(settings, database_url=settings.read_url)
        engine = owned = make_engine(replica, poolclass=NullPool)
        address = replica.address
    else:
        engine, address = get_engine(), settings.address
    try:
        with engine.connect() as conn:
            yield conn.execution_options(postgresql_readonly=True)
    except SQLAlchemyError as exc:
        raise translate(exc, address) from exc
    finally:
        if owned is not None:
            owned.dispose()


def resolve_user(conn: Connection, username: str | None) -> uuid.UUID | None:
    """The id of ``--user USERNAME`` (None when not given); an unknown username is an error."""
    if username is None:
        return None
    found = queries.user_id(conn, username)
    if found is None:
        raise NotFoundError(f"no user named {username!r}: check the spelling (list-users shows every user)")
    return found
