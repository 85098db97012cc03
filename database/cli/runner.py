"""What every command line of the package shares: parser building and error handling."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Callable, Iterable

from database.errors import DatabaseError

Command = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A command found its arguments unusable (exit 2)."""


def _first_line(func: Callable[..., object]) -> str:
    doc = (func.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


def add_command(
    subparsers: argparse._SubParsersAction, name: str, func: Command, example: str | None = None
) -> argparse.ArgumentParser:
    """One subparser: help = the function's docstring first line; description = whole docstring."""
    doc = (func.__doc__ or "").strip()
    epilog = f"example:\n  {example}" if example else None
    parser = subparsers.add_parser(
        name,
        help=_first_line(func),
        description=doc,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=func)
    return parser


class _CommandListFormatter(argparse.HelpFormatter):
    """Keeps each command's help on its own line at 80 columns, long names included.

    argparse measures subcommand names two columns short (it ignores their extra indent), so
    `export-conversation` would push its help onto the next line."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=28)

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if isinstance(action, argparse._SubParsersAction):
            names = [len(name) for name in action.choices]
            self._action_max_length = max(self._action_max_length, max(names, default=0) + 2 * self._indent_increment)


def build_parser(prog: str, description: str, modules: Iterable[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description, formatter_class=_CommandListFormatter)
    parser.add_argument("--traceback", action="store_true", help="show the full traceback on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for module in modules:
        importlib.import_module(module).register(subparsers)
    return parser


def run(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or usage error (2)
        return int(exc.code or 0)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        if args.traceback:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
