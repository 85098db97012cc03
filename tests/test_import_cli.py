"""``python -m database.cli import``: exit codes, the summary for people and for scripts, flags."""

from __future__ import annotations

import io
import json
import os
import shutil

from sqlalchemy import text

from database.cli.progress import ProgressBar
from database.utils.import_data import LOCK_KEY
from tests.import_helpers import copy_app, counts, ledger, run_cli

TRUNCATED = "cache/1dad74597b200e6c5785cd292ed97629.json"


def test_clean_tree_exits_0_with_a_summary_table(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    (root / TRUNCATED).unlink()
    code, out, err = run_cli(capsys, "import", "--root", str(root))
    assert code == 0 and err == ""  # not a terminal: no progress bar
    lines = out.splitlines()
    assert lines[0].startswith(f"import from {root}: 30 file(s) in ")
    assert "  total                      22          3        5         0          0" in lines
    table = lines[lines.index("rows written") + 2:]
    written = dict(line.split() for line in table[:table.index("")] if line) if "" in table else \
        dict(line.split() for line in table)
    assert written == {"answers": "17", "cache_entries": "19", "conversations": "9", "messages": "55",
                       "questions": "19", "user_profiles": "6", "user_sessions": "3", "users": "6"}
    assert "rejected" not in out.split("rows written")[1]
    assert "\x1b[" not in out


def test_rejected_files_exit_3_and_are_listed(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    code, out, _ = run_cli(capsys, "import", "--root", str(root))
    assert code == 3
    assert out.splitlines()[-2:] == [
        "rejected files (1), left for you to check:",
        f"  {TRUNCATED}: truncated JSON: Expecting value at line 101 column 21",
    ]


def test_json_summary(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    code, out, _ = run_cli(capsys, "import", "--root", str(root), "--json")
    summary = json.loads(out)
    assert code == summary["exit_code"] == 3
    assert summary["files_by_kind"]["conversation_export"] == {"duplicate": 2}
    assert summary["root"] == str(root) and summary["dry_run"] is False


def test_original_flags_and_single_files_are_paths_below_the_root(committed_db, capsys, tmp_path, monkeypatch):
    root = copy_app(tmp_path)
    monkeypatch.chdir(root)
    code, out, _ = run_cli(capsys, "import", "--conversations", "conversation_history/test_user",
                           "--assessments", "assessment_conversations", "--json")
    assert code == 0
    assert sorted(ledger(committed_db)) == [
        "assessment_conversations/anonymous/assessment_11111111-2222-3333-4444-555555555555.txt",
        "assessment_conversations/anonymous/conversation_0578fcf6-bbb2-461a-8348-eb23984552b2_20250604_175622.json",
        "assessment_conversations/test_user/conversation_0b1b16a8-d59c-4bbb-9e7a-e1110e3492f6_20250604_110704.json",
        "assessment_conversations/test_user/conversation_0b1b16a8-d59c-4bbb-9e7a-e1110e3492f6_20250604_110704.txt",
        "conversation_history/test_user/conversation_6c220a97-f4d6-4eea-bda8-aabcfdedd83c_20250602_181747.json",
    ]
    code, out, _ = run_cli(capsys, "import", "student_models/test_user.json", "--json")
    assert code == 0 and json.loads(out)["files"]["imported"] == 1
    with committed_db.connect() as conn:
        assert conn.execute(text("SELECT name FROM users WHERE username = 'test_user'")).scalar_one() == "Frodo"


def test_indexer_cache_path_is_never_read(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    code, out, _ = run_cli(capsys, "import", "--root", str(root), str(root / "cache/extract_graph"), "--json")
    assert code == 0 and json.loads(out)["files"] == {"imported": 0, "duplicate": 0, "derived": 0, "rejected": 0,
                                                      "unchanged": 0}


def test_usage_errors_exit_2(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    code, out, err = run_cli(capsys, "import", "--root", str(root), str(outside))
    assert (code, out) == (2, "") and err == f"error: {outside} is not inside the import root {root} (set --root)\n"
    code, _, err = run_cli(capsys, "import", "--root", str(root), str(root / "nope"))
    assert code == 2 and "no such file or directory" in err
    code, _, err = run_cli(capsys, "import", "--root", str(tmp_path / "missing"))
    assert code == 2 and err.startswith("error: --root")
    code, _, err = run_cli(capsys, "import", "--bogus")
    assert code == 2
    assert counts(committed_db)["import_files"] == 0


def test_database_down_is_one_line_and_exit_1(capsys, tmp_path, monkeypatch):
    root = copy_app(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody:secret@127.0.0.1:1/none")
    code, out, err = run_cli(capsys, "import", "--root", str(root))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: no PostgreSQL server answers at 127.0.0.1:1/none")
    assert "Traceback" not in err and "secret" not in err


def test_a_second_import_at_the_same_time_is_refused(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    with committed_db.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
        code, _, err = run_cli(capsys, "import", "--root", str(root))
        holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
    assert code == 1 and err == "error: another import is running against this database; wait for it to finish\n"
    assert counts(committed_db)["import_files"] == 0


def test_progress_bar_draws_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen, pipe = Terminal(), io.StringIO()
    for stream in (screen, pipe):
        bar = ProgressBar("importing", stream)
        bar(5, 10)
        bar(10, 10)
        bar.close()
    assert pipe.getvalue() == ""
    drawn = screen.getvalue()
    assert drawn.startswith("\rimporting [") and "] 10/10 files" in drawn and drawn.endswith("\n")
    assert "#" * 10 in drawn and "\x1b[" not in drawn


def test_move_to_legacy_sees_every_imported_file_as_movable(committed_db, capsys, tmp_path):
    """The ledger contract: what the import recorded is what move-to-legacy may move."""
    root = copy_app(tmp_path)
    run_cli(capsys, "import", "--root", str(root))
    rows = ledger(committed_db)
    movable = {p for p, r in rows.items() if r["result"] in ("imported", "duplicate", "derived")}
    assert len(movable) == 30 and TRUNCATED not in movable
    shutil.rmtree(root / "cache" / "extract_graph")
    assert all(os.path.isfile(root / p) for p in movable)
