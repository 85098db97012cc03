"""One page of a list: fetch it (one statement), then print it as a table, JSON or JSON lines."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping

from database.admin import output
from database.admin.options import next_page_command, reading
from database.errors import NotFoundError
from database.repositories import admin_queries as queries


def fetch(
    args: argparse.Namespace,
    query: Callable[[Connection], list[RowMapping]],
    anchor: Any = None,
    noun: str = "row",
) -> list[RowMapping]:
    """Run ``query`` on a read-only connection. When ``--after`` names an id (``anchor`` is its
    model) and nothing came back, say so if that row is gone: an empty page would hide it."""
    with reading() as conn:
        rows = query(conn)
        if not rows and anchor is not None and args.after is not None:
            if not queries.row_exists(conn, anchor, args.after):
                raise NotFoundError(
                    f"no {noun} with id {args.after} (deleted since the previous page?): "
                    "list again without --after"
                )
    return rows


def show(
    args: argparse.Namespace,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[output.Column],
    key: Callable[[Mapping[str, Any]], Any],
    nouns: tuple[str, str],
) -> int:
    """Print one page. The query fetched limit + 1 rows; the extra one means there is a next page,
    and the table's last line gives the command that prints it."""
    more = len(rows) > args.limit
    rows = rows[: args.limit]
    if args.json:
        output.json_array(rows)
        return 0
    if args.jsonl:
        output.json_lines(rows)
        return 0
    singular, plural = nouns
    if not rows:
        print(f"no {plural}")
        return 0
    output.table(rows, columns)
    count = f"{len(rows)} {singular if len(rows) == 1 else plural}"
    if more:
        print(f"{count} shown; next page: {next_page_command(args, key(rows[-1]))}")
    else:
        print(f"{count}; end of list")
    return 0
