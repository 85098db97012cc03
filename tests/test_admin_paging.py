"""Keyset paging: following the table's "next page" commands visits every row exactly once, in order."""

from __future__ import annotations

import json
import shlex

import pytest
from admin_helpers import truncate
from admin_seeds import seed_many

from database.admin import main

PROG = ["python", "-m", "database.admin"]


@pytest.fixture(scope="module")
def many(engine):
    """Seeded once for this module (its tests only read); emptied before and after."""
    truncate(engine)
    yield seed_many(engine)
    truncate(engine)


def walk(capsys, argv: list[str]) -> tuple[list[dict], int]:
    """Print each page as a table and as JSON; follow the table's last line to the next page."""
    rows: list[dict] = []
    pages = 0
    while True:
        assert main([*argv, "--json"]) == 0
        page = json.loads(capsys.readouterr().out)
        rows += page
        pages += 1
        assert main(argv) == 0
        last = capsys.readouterr().out.splitlines()[-1]
        if "next page: " not in last:
            assert last.endswith("end of list")
            return rows, pages
        command = shlex.split(last.split("next page: ", 1)[1])
        assert command[: len(PROG)] == PROG
        argv = command[len(PROG) :]
        assert pages < 50, "paging does not end"


@pytest.mark.parametrize(
    "command, total, order",
    [
        (["list-users"], "users", lambda r: r["username"]),
        (["list-sessions"], "sessions", lambda r: (r["start_time"], r["id"])),
        (["list-conversations", "--type", "chat"], "conversations", lambda r: (r["start_time"], r["id"])),
        (["list-questions"], "questions", lambda r: (r["created_at"], r["id"])),
        (["list-answers"], "answers", lambda r: (r["created_at"], r["id"])),
        (["list-cache"], "cache", lambda r: (r["cache_type"], r["key"])),
    ],
)
def test_walk_every_list(many, capsys, command, total, order):
    rows, pages = walk(capsys, [*command, "--limit", "5"])
    keys = [r["username"] if total == "users" else r["id"] for r in rows]
    n = many["n"]
    assert len(keys) == len(set(keys)) == n  # every row exactly once
    assert pages == 5  # 23 rows, 5 per page
    expected = sorted(
        rows,
        key=order,
        reverse=command[0] in ("list-sessions", "list-conversations", "list-questions", "list-answers"),
    )
    assert rows == expected
    if total == "users":
        assert keys == many["users"]
    elif total == "cache":
        assert set(keys) == {str(i) for i in many["cache"]}
    elif total == "sessions":
        assert set(keys) == {str(i) for i in many["sessions"]}


def test_walk_messages_by_position(many, capsys):
    rows, pages = walk(capsys, ["list-messages", str(many["long"]), "--limit", "4"])
    assert [r["position"] for r in rows] == list(range(23)) and pages == 6
    assert [r["content"] for r in rows] == [f"m{i}" for i in range(23)]


def test_filters_survive_paging(many, capsys):
    rows, _ = walk(
        capsys, ["list-sessions", "--user", "user01", "--since", "2025-06-02T12:01", "--limit", "2"]
    )
    assert {r["username"] for r in rows} == {"user01"}
    assert len(rows) == len([i for i in range(23) if i % 3 == 1 and i // 4 >= 1])
    rows, _ = walk(capsys, ["list-answers", "--incorrect", "--limit", "3"])
    assert len(rows) == 11 and not any(r["correct"] for r in rows)


def test_next_page_command_keeps_every_filter(many, capsys):
    conversation = str(many["long"])
    argv = ["list-messages", conversation, "--role", "user", "--since", "2025-06-02T12:00", "--limit", "3"]
    assert main(argv) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == (
        f"3 messages shown; next page: python -m database.admin list-messages {conversation} --limit 3 "
        "--since 2025-06-02T12:00:00+00:00 --role user --after 2"
    )
