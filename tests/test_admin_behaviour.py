"""What every admin command does alike: help, exit status, errors, colour, the shell wrapper."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import uuid
from pathlib import Path

import pytest
from admin_helpers import DOWN_PASSWORD, add_user, committing, server_down
from admin_seeds import seed_basic
from sqlalchemy import text

from database.admin import main

REPO = Path(__file__).resolve().parents[1]
COMMANDS = [
    "list-users",
    "list-sessions",
    "list-conversations",
    "list-messages",
    "list-questions",
    "list-answers",
    "list-cache",
    "show-user",
    "show-conversation",
]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_every_command_with_one_line(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for name in COMMANDS:
        assert f"    {name}" in out


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help_explains_with_an_example(capsys, name):
    code, out, _ = run(capsys, name, "--help")
    assert code == 0
    assert "example:\n  ./run_admin.sh " + name in out


def test_usage_errors_exit_2(capsys):
    assert run(capsys)[0] == 2
    code, _, err = run(capsys, "list-everything")
    assert code == 2 and "invalid choice" in err
    code, _, err = run(capsys, "list-users", "--limit", "0")
    assert code == 2 and "must be between 1 and 10000" in err
    code, _, err = run(capsys, "list-sessions", "--after", "42")
    assert code == 2 and "not an id: '42'" in err


def test_traceback_on_request(committed_db, capsys):
    code, out, err = run(capsys, "show-user", "nobody")
    assert code == 1 and "Traceback" not in err
    code, out, err = run(capsys, "--traceback", "show-user", "nobody")
    assert code == 1 and "Traceback (most recent call last)" in err and "NotFoundError" in err
    assert (
        err.splitlines()[-1]
        == "error: no user named 'nobody': check the spelling (list-users shows every user)"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["list-users"],
        ["list-sessions", "--user", "alice"],
        ["list-messages", str(uuid.UUID(int=1))],
        ["list-cache", "--json"],
        ["show-user", "alice"],
        ["show-conversation", str(uuid.UUID(int=1))],
    ],
)
def test_server_down_is_one_line_naming_host_and_port(engine, monkeypatch, capsys, argv):
    with server_down(monkeypatch) as port:
        code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: no PostgreSQL server answers at ")
    assert f"127.0.0.1:{port}" in err and DOWN_PASSWORD not in err


def test_no_colour_unless_a_terminal(committed_db, capsys, monkeypatch):
    seed_basic(committed_db)
    code, out, _ = run(capsys, "list-users")
    assert code == 0 and "\033[" not in out
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    code, out, _ = run(capsys, "list-users")
    assert out.startswith("\033[1mUSERNAME")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in run(capsys, "list-users")[1]


def test_the_transaction_is_read_only(committed_db):
    from sqlalchemy import text

    from database.admin.options import reading

    with reading() as conn:
        assert conn.execute(text("SHOW transaction_read_only")).scalar_one() == "on"


def test_run_admin_sh_from_another_directory(committed_db, tmp_path):
    seed_basic(committed_db)
    script = REPO / "run_admin.sh"
    assert os.access(script, os.X_OK)
    env = {k: v for k, v in os.environ.items() if k != "GREYTUTOR_ADMIN_PROG"}
    done = subprocess.run(
        [str(script), "list-users", "--limit", "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.splitlines()[-1]
        == f"1 user shown; next page: {script} list-users --limit 1 --after alice"
    )
    done = subprocess.run(
        [str(script), "show-user", "nobody"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and done.stderr.startswith("error: no user named 'nobody'")
    done = subprocess.run(
        [str(script), "list-messages", "x"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_empty_database_lists(committed_db, capsys):
    for command in (
        "list-users",
        "list-sessions",
        "list-conversations",
        "list-questions",
        "list-answers",
        "list-cache",
    ):
        code, out, _ = run(capsys, command)
        assert code == 0 and out.startswith("no ")
        assert run_json(capsys, command) == []


def test_next_page_command_quotes_for_the_shell(committed_db, capsys):
    with committing(committed_db) as s:
        for name in ("a b", "it's", "zed"):
            add_user(s, name)
    assert main(["list-users", "--limit", "2"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert (
        last == "2 users shown; next page: python -m database.admin list-users --limit 2 --after 'it'\"'\"'s'"
    )
    assert main(shlex.split(last.split("next page: ")[1])[3:] + ["--json"]) == 0
    assert [r["username"] for r in json.loads(capsys.readouterr().out)] == ["zed"]


def test_after_a_row_deleted_since_the_previous_page_says_so(committed_db, capsys):
    data = seed_basic(committed_db)
    newest = str(data["sessions"][2])
    assert [r["id"] for r in run_json(capsys, "list-sessions", "--limit", "1")] == [newest]
    with committed_db.begin() as conn:
        conn.execute(text("DELETE FROM user_sessions WHERE id = :id"), {"id": newest})
    code, out, err = run(capsys, "list-sessions", "--after", newest)
    assert code == 1 and out == ""
    assert err == (
        f"error: no session with id {newest} (deleted since the previous page?): list again without --after\n"
    )


def test_lists_read_from_the_replica_when_one_is_configured(committed_db, monkeypatch, capsys):
    from admin_helpers import free_port

    from database import connection as db_connection
    from database.cli import main as cli_main

    seed_basic(committed_db)
    port = free_port()
    monkeypatch.setenv("DATABASE_READ_URL", f"postgresql://reader:{DOWN_PASSWORD}@127.0.0.1:{port}/replica")
    db_connection.dispose_engine()
    try:
        code, out, err = run(capsys, "list-users")
        assert code == 1 and f"127.0.0.1:{port}/replica" in err and DOWN_PASSWORD not in err
        assert cli_main(["status"]) == 0  # status describes the primary
        capsys.readouterr()
        monkeypatch.setenv("DATABASE_READ_URL", os.environ["DATABASE_URL"])
        db_connection.dispose_engine()
        assert [u["username"] for u in run_json(capsys, "list-users")] == ["alice", "bob o'neil", "carol"]
    finally:
        db_connection.dispose_engine()
