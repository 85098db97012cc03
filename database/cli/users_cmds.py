"""``create-user`` and ``reset-password``: accounts from the command line, passwords never echoed.

Where a password comes from, in order: ``--password-stdin`` (all of standard input, one
trailing newline removed); ``--password PW`` (create-user only, kept for old scripts, warns);
a hidden prompt, asked twice, when standard input is a terminal. Without any of these,
create-user makes a user without a password (who cannot log in until reset-password) and
reset-password stops with a usage error (exit 2): there is nobody to ask.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from database import validation
from database.cli.runner import UsageError, add_command
from database.connection import get_settings
from database.errors import AlreadyExistsError
from database.models import USER_ROLES

if TYPE_CHECKING:
    from database.api import DatabaseAPI

ARGV_WARNING = (
    "warning: a password given with --password is visible to other users of this machine (ps, /proc) "
    "and is kept in your shell history; use --password-stdin or the prompt instead"
)


class _NoPassword(Exception):
    """The user gave up or mistyped at the prompt (exit 1)."""


def _read_stdin() -> str:
    data = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    if not data:
        raise _NoPassword("no password on standard input")
    return data


def _is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _prompt(username: str) -> str:
    try:
        first = getpass.getpass(f"Password for {username}: ")
        second = getpass.getpass("Repeat the password: ")
    except EOFError:
        raise _NoPassword("no password entered") from None
    if first != second:
        raise _NoPassword("the passwords do not match; nothing was changed")
    return first


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _api() -> DatabaseAPI:
    # Imported here so the other commands (server, init) work without the API's modules.
    from database.api import DatabaseAPI

    # A private engine, disposed when the command ends.
    return DatabaseAPI(settings=get_settings())


def cmd_create_user(args: argparse.Namespace) -> int:
    """Create a user (with an empty profile).

    Asks for the password on a terminal.

    The password comes from --password-stdin, else a hidden prompt (twice) when standard
    input is a terminal. Without a terminal and without --password-stdin the user is created
    WITHOUT a password (cannot log in until `reset-password`). --password PW still works for
    old scripts but warns: the password is visible to other users and kept in shell history.
    --if-not-exists leaves an existing user alone and exits 0. Passwords: at least 8 characters.
    Exit status: 0 created (or left alone), 1 error, 2 usage error.
    """
    username = validation.username(args.username)
    with _api() as api:
        if args.if_not_exists and api.get_user(username) is not None:
            print(f"user {username!r} already exists; left unchanged")
            return 0
        try:
            if args.password is not None:
                print(ARGV_WARNING, file=sys.stderr)
                password = args.password
            elif args.password_stdin:
                password = _read_stdin()
            elif _is_terminal():
                password = _prompt(username)
            else:
                password = None
        except _NoPassword as exc:
            return _fail(str(exc))
        try:
            user = api.create_user(username, password, email=args.email, name=args.name, role=args.role)
        except AlreadyExistsError:
            if args.if_not_exists:
                print(f"user {username!r} already exists; left unchanged")
                return 0
            raise
    print(f"created user {user['username']!r} (role {user['role']}, id {user['id']})")
    if password is None:
        print(
            "note: no password was set (no terminal to ask and no --password-stdin); "
            f"this user cannot log in until `reset-password {username}`"
        )
    return 0


def cmd_reset_password(args: argparse.Namespace) -> int:
    """Set a new password for an existing user.

    Asks for it (twice, hidden) on a terminal.

    With --password-stdin the password is read from standard input. Without a terminal and
    without --password-stdin this is a usage error (exit 2): there is nobody to ask.
    Exit status: 0 changed, 1 error (e.g. no such user, password too short), 2 usage error.
    """
    username = validation.username(args.username)
    if not args.password_stdin and not _is_terminal():
        raise UsageError("no terminal to ask for the new password: pipe it in with --password-stdin")
    with _api() as api:
        if api.get_user(username) is None:
            return _fail(f"no user named {username!r}")
        try:
            password = _read_stdin() if args.password_stdin else _prompt(username)
        except _NoPassword as exc:
            return _fail(str(exc))
        api.set_password(username, password)
    print(f"password of {username!r} changed")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    create = add_command(
        subparsers,
        "create-user",
        cmd_create_user,
        example="printf '%s\\n' \"$PW\" | python -m database.cli create-user alice --password-stdin",
    )
    create.add_argument("username", metavar="USERNAME")
    create.add_argument("--email", metavar="E")
    create.add_argument("--name", metavar="N")
    create.add_argument("--role", choices=USER_ROLES, default="user")
    create.add_argument(
        "--if-not-exists", action="store_true", help="an existing user is left alone (exit 0)"
    )
    source = create.add_mutually_exclusive_group()
    source.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    source.add_argument(
        "--password", metavar="PW", help="DEPRECATED: visible to other users and in shell history"
    )

    reset = add_command(
        subparsers,
        "reset-password",
        cmd_reset_password,
        example="python -m database.cli reset-password alice   # prompts twice",
    )
    reset.add_argument("username", metavar="USERNAME")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
