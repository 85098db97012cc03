"""python -m database.cli maintenance commands through main([...]): list-users, delete-user, status,
export-user, purge-cache, cleanup."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest
from admin_helpers import (
    DOWN_PASSWORD,
    add_conversation,
    add_session,
    add_user,
    committing,
    counting,
    server_down,
)
from admin_seeds import FAKE_HASH, seed_basic
from sqlalchemy import func, select, text

from database import connection as db_connection
from database.cli import main
from database.models import CacheEntry, Conversation, Message, User, UserSession
from database.schema import head_revision

MINE = ["list-users", "status", "delete-user", "export-user", "purge-cache", "cleanup"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def count(engine, model, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


@pytest.fixture
def data(committed_db):
    return seed_basic(committed_db)


# -- help ------------------------------------------------------------------------------------------


def test_help_lists_every_command_on_one_line_each(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # a plain terminal
    code, out, _ = run(capsys, "--help")
    assert code == 0
    lines = out.splitlines()
    import argparse

    from database.cli import COMMAND_MODULES
    from database.cli.runner import build_parser

    parser = build_parser("x", "x", COMMAND_MODULES)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in sub.choices:
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(name + " "))
        assert len(lines[at].split(None, 1)[1]) > 10  # the name and its help on the same line
        assert at + 1 == len(lines) or not lines[at + 1].startswith(" " * 8), f"the help of {name} wraps"


@pytest.mark.parametrize("name", MINE)
def test_command_help_has_an_example(capsys, name):
    code, out, _ = run(capsys, name, "--help")
    assert code == 0 and f"example:\n  python -m database.cli {name}" in out


# -- list-users ------------------------------------------------------------------------------------


def test_list_users_table_json_and_paging(data, capsys):
    code, out, _ = run(capsys, "list-users", "--limit", "2")
    assert code == 0
    lines = out.splitlines()
    assert (
        lines[0].startswith("USERNAME") and lines[1].startswith("alice") and lines[2].startswith("bob o'neil")
    )
    assert (
        lines[-1]
        == "2 users shown; next page: python -m database.cli list-users --limit 2 --after 'bob o'\"'\"'neil'"
    )
    code, out, _ = run(capsys, "list-users", "--after", "bob o'neil", "--json")
    assert code == 0 and [u["username"] for u in json.loads(out)] == ["carol"]
    code, out, _ = run(capsys, "list-users", "--json")
    assert FAKE_HASH not in out and json.loads(out)[0]["password_set"] is True


# -- delete-user -----------------------------------------------------------------------------------


def test_delete_user_refuses_without_a_terminal(data, committed_db, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    code, out, err = run(capsys, "delete-user", "alice")
    assert code == 2 and out == ""
    assert err == "error: not deleting 'alice' without confirmation: input is not a terminal; add --yes\n"
    assert count(committed_db, User, User.username == "alice") == 1


def test_delete_user_asks_on_a_terminal_and_no_keeps_everything(data, committed_db, capsys, monkeypatch):
    prompts = []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or "n")
    code, out, err = run(capsys, "delete-user", "alice")
    assert code == 1 and err == "not confirmed: nothing deleted\n"
    assert (
        out
        == "user 'alice' owns: 2 conversations, 8 messages, 2 questions, 2 answers, 2 sessions, 1 profile\n"
    )
    assert prompts == ["Delete user 'alice' and all of that? [y/N] "]
    assert count(committed_db, User, User.username == "alice") == 1
    assert count(committed_db, Message) == 13

    def closed(prompt):
        raise EOFError

    monkeypatch.setattr("builtins.input", closed)
    assert run(capsys, "delete-user", "alice")[0] == 1
    assert count(committed_db, User, User.username == "alice") == 1


def test_delete_user_yes_on_a_terminal_deletes_and_reports(data, committed_db, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    code, out, err = run(capsys, "delete-user", "alice")
    assert code == 0 and err == ""
    assert out.splitlines()[-1] == (
        "deleted user 'alice': 2 conversations, 8 messages, 2 questions, 2 answers, 2 sessions, 1 profile"
    )
    assert count(committed_db, User, User.username == "alice") == 0
    assert count(committed_db, Conversation) == 2 and count(committed_db, Message) == 5  # bob's and carol's
    assert count(committed_db, CacheEntry) == 4  # cache entries belong to no user


def test_delete_user_with_yes_needs_no_terminal(data, committed_db, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("must not ask with --yes"))
    code, out, _ = run(capsys, "delete-user", "bob o'neil", "--yes")
    assert code == 0
    assert out == (
        'deleted user "bob o\'neil": 1 conversations, 2 messages, 0 questions, 0 answers, '
        "1 sessions, 0 profile\n"
    )
    assert count(committed_db, User) == 2


def test_delete_unknown_user_is_a_one_line_error(data, capsys, monkeypatch):
    code, out, err = run(capsys, "delete-user", "nobody", "--yes")
    assert (
        code == 1 and out == "" and err.startswith("error: no user named 'nobody'") and err.count("\n") == 1
    )
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("nothing to confirm"))
    code, out, err = run(capsys, "delete-user", "nobody")
    assert code == 1 and err.startswith("error: no user named 'nobody'")


# -- status ----------------------------------------------------------------------------------------


def test_status(data, committed_db, capsys):
    code, out, err = run(capsys, "status")
    assert code == 0 and err == ""
    head = head_revision()
    settings = db_connection.get_settings()
    assert f"migration: {head} (head {head}: up to date)" in out
    assert f"database:  {settings.safe_url}" in out and settings.url.password not in out
    assert "server:    PostgreSQL " in out and "size:      " in out
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.startswith("  ")}
    assert rows["users"] == "3" and rows["messages"] == "13" and rows["cache_entries"] == "4"
    assert rows["questions"] == "2" and rows["user_sessions"] == "3"


def test_status_json_and_estimates_for_big_tables(data, committed_db, capsys, monkeypatch):
    code, out, _ = run(capsys, "status", "--json")
    report = json.loads(out)
    assert code == 0 and report["up_to_date"] is True and report["revision"] == head_revision()
    assert report["tables"]["messages"] == {"rows": 13, "exact": True} and report["size_bytes"] > 0
    assert report["missing_tables"] == []
    # Tables the planner thinks big are not counted: their estimate is shown, marked.
    monkeypatch.setattr("database.cli.status_cmd.EXACT_BELOW", 5)
    with committed_db.connect() as conn:
        conn.execute(text("ANALYZE messages"))
        conn.commit()
    report = json.loads(run(capsys, "status", "--json")[1])
    assert report["tables"]["messages"] == {"rows": 13, "exact": False}
    assert report["tables"]["cache_entries"]["exact"] is True  # never analysed (-1): counted
    assert "  messages                 ~13" in run(capsys, "status")[1]
    report = json.loads(run(capsys, "status", "--json", "--exact")[1])
    assert report["tables"]["messages"] == {"rows": 13, "exact": True}


# -- export-user -----------------------------------------------------------------------------------


def test_export_user_to_stdout(data, capsys):
    code, out, err = run(capsys, "export-user", "alice")
    assert code == 0 and err == ""
    export = json.loads(out)
    assert export["user"]["username"] == "alice" and len(export["conversations"]) == 2
    assert FAKE_HASH not in out and "password_hash" not in out


def test_export_user_to_a_file_atomically(data, capsys, tmp_path):
    target = tmp_path / "alice.json"
    target.write_text("an older export")
    code, out, _ = run(capsys, "export-user", "alice", "--output", str(target))
    assert code == 0 and out.startswith(f"exported user 'alice' to {target} (2 conversations, ")
    export = json.loads(target.read_text(encoding="utf-8"))
    assert export["user"]["username"] == "alice"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alice.json"]  # no temporary file left
    # A failed export leaves the file alone.
    code, _, err = run(capsys, "export-user", "nobody", "--output", str(target))
    assert code == 1 and err.startswith("error: no user named 'nobody'")
    assert json.loads(target.read_text(encoding="utf-8"))["user"]["username"] == "alice"


def test_export_user_unwritable_target(data, capsys, tmp_path):
    code, out, err = run(capsys, "export-user", "alice", "--output", str(tmp_path / "missing" / "a.json"))
    assert code == 1 and out == "" and err.startswith("error: cannot write ") and err.count("\n") == 1


# -- purge-cache -----------------------------------------------------------------------------------


def test_purge_cache(data, committed_db, capsys):
    assert run(capsys, "purge-cache", "--dry-run")[1] == "would remove 1 expired cache entries (dry run)\n"
    assert run(capsys, "purge-cache", "--type", "question", "--dry-run")[1] == (
        "would remove 2 cache entries of type 'question' (dry run)\n"
    )
    assert count(committed_db, CacheEntry) == 4
    assert run(capsys, "purge-cache") == (0, "removed 1 expired cache entries\n", "")
    assert count(committed_db, CacheEntry) == 3
    assert run(capsys, "purge-cache", "--expired")[1] == "removed 0 expired cache entries\n"
    assert (
        run(capsys, "purge-cache", "--type", "question")[1] == "removed 1 cache entries of type 'question'\n"
    )
    with committed_db.connect() as conn:
        assert sorted(conn.execute(select(CacheEntry.cache_type)).scalars()) == ["assessment", "query"]
    code, _, err = run(capsys, "purge-cache", "--expired", "--type", "query")
    assert code == 2 and "not allowed with" in err


# -- cleanup ---------------------------------------------------------------------------------------


@pytest.fixture
def old_and_new(committed_db):
    now = datetime.now(timezone.utc)
    with committing(committed_db) as s:
        user = add_user(s, "dora")
        old = [add_session(s, user, now - timedelta(days=400 + i)) for i in range(5)]
        recent = [add_session(s, user, now - timedelta(days=1 + i)) for i in range(2)]
        kept = add_conversation(
            s,
            user,
            now - timedelta(days=400),
            quiz_session=old[0],
            turns=[{"role": "user", "content": "hello"}],
        )
        linked = add_conversation(s, user, now - timedelta(days=1), quiz_session=recent[0])
    return {
        "old": [o.id for o in old],
        "recent": [r.id for r in recent],
        "kept": kept.id,
        "linked": linked.id,
    }


def test_cleanup_dry_run_says_what_it_would_delete(old_and_new, committed_db, capsys):
    code, out, _ = run(capsys, "cleanup", "--sessions-older-than", "365", "--dry-run")
    assert code == 0
    first, second = out.splitlines()
    assert first.startswith("would delete 5 quiz sessions started before ")
    assert first.endswith("; 1 linked conversations are kept, their session link cleared")
    assert second == "dry run: nothing deleted"
    assert count(committed_db, UserSession) == 7


def test_cleanup_deletes_in_chunks_and_keeps_conversations(old_and_new, committed_db, capsys):
    with counting(db_connection.get_engine()) as seen:
        code, out, err = run(capsys, "cleanup", "--sessions-older-than", "365", "--chunk-size", "2")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("deleting 5 quiz sessions started before ")
    assert lines[-1] == "deleted 5 quiz sessions in 3 transactions of at most 2"
    assert len([s for s in seen if s.lstrip().upper().startswith("DELETE")]) == 4  # 2 + 2 + 1, then none left
    with committed_db.connect() as conn:
        remaining = set(conn.execute(select(UserSession.id)).scalars())
        links = dict(conn.execute(select(Conversation.id, Conversation.session_id)).all())
    assert remaining == set(old_and_new["recent"])
    assert links == {old_and_new["kept"]: None, old_and_new["linked"]: old_and_new["recent"][0]}
    assert count(committed_db, Message) == 1
    code, out, _ = run(capsys, "cleanup", "--sessions-older-than", "365")
    assert (
        code == 0
        and out.startswith("no quiz sessions started before ")
        and out.endswith("nothing to delete\n")
    )


USAGE_ERRORS = ["cleanup", "cleanup --sessions-older-than 0", "cleanup --sessions-older-than ten",
                "cleanup --sessions-older-than 30 --chunk-size 0"]  # fmt: skip


@pytest.mark.parametrize("command", USAGE_ERRORS)
def test_cleanup_usage_errors(capsys, command):
    assert run(capsys, *command.split())[0] == 2


# -- a server that is down -------------------------------------------------------------------------


NEED_THE_SERVER = ["list-users", "status", "delete-user alice --yes", "export-user alice", "purge-cache",
                   "purge-cache --dry-run", "cleanup --sessions-older-than 30"]  # fmt: skip


@pytest.mark.parametrize("command", NEED_THE_SERVER)
def test_server_down_is_one_line_naming_host_and_port(engine, monkeypatch, capsys, command):
    with server_down(monkeypatch) as port:
        code, out, err = run(capsys, *command.split())
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert f"127.0.0.1:{port}" in err and DOWN_PASSWORD not in err
