"""move-to-legacy: moves only what the ledger vouches for, never loses or overwrites a file."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from database import connection as db_connection
from database.cli import main
from database.models import ImportedFile
from database.utils import file_moves
from database.utils.file_moves import MoveError, copy_then_remove
from database.utils.move_to_legacy import execute_move, move_to_legacy, plan_move

PROJECT = Path(__file__).resolve().parent.parent

CONV = "conversation_history/test_user/conversation_6c220a97_20250602_181747.json"
EXPORT = "conversation_history/data/exports/conversation_6c220a97_20250602_181748.json"
CHAT = "assessment_conversations/anonymous/conversation_0578fcf6_20250604_175622.json"
CHAT_TXT = "assessment_conversations/anonymous/conversation_0578fcf6_20250604_175622.txt"
MODEL = "student_models/test_user.json"
SESSION = "student_models/sessions/test_user/session_20250602_181747.json"
STRAY = "assessment_fd6abc21-008e-4d7a-8fb2-2fe59490209b.txt"
REJECTED = "cache/1dad74597b200e6c5785cd292ed97629.json"
CHANGED = "question_cache/question_cache.json"
UNKNOWN = "student_models/session_stats/new_student_20250604_082258.json"
KEPT_NEIGHBOUR = "conversation_history/data/api_test_student/conversation_2b4474b5_20250602_174036.json"
INDEXER = "cache/community_reporting/0a1b2c3d4e"
OUTSIDE = "notes/readme.txt"

MOVABLE = {CONV: "imported", EXPORT: "duplicate", CHAT: "imported", CHAT_TXT: "derived", MODEL: "imported",
           SESSION: "imported", STRAY: "derived"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(root: Path, relative: str, data: bytes) -> bytes:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def record(engine: Engine, path: str, data: bytes, result: str, reason: str | None = None) -> None:
    with Session(engine) as session, session.begin():
        session.add(ImportedFile(path=path, sha256=sha(data), size_bytes=len(data), kind="conversation",
                                 result=result, reason=reason))


def snapshot(root: Path) -> dict[str, str]:
    """Every directory and file under ``root`` with the file's sha256: a full picture of the disk."""
    seen: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            seen[os.path.relpath(os.path.join(dirpath, name), root) + "/"] = "dir"
        for name in filenames:
            full = os.path.join(dirpath, name)
            seen[os.path.relpath(full, root)] = sha(Path(full).read_bytes())
    return seen


@pytest.fixture
def app(tmp_path: Path, committed_db: Engine) -> Path:
    """A legacy tree with a ledger: movable files, a rejected, a changed and an unknown file."""
    root = tmp_path / "app"
    for path, result in MOVABLE.items():
        data = write(root, path, f'{{"file": "{path}", "text": "Lothl\\u00f3rien\\r\\n"}}\r\n'.encode())
        record(committed_db, path, data, result)
    record(committed_db, REJECTED, write(root, REJECTED, b'{"strategy": "local", "nodes": ['), "rejected",
           "invalid JSON: truncated at byte 32")
    record(committed_db, CHANGED, b'{"old": true}', "imported")
    write(root, CHANGED, b'{"old": true, "edited": "after the import"}')
    write(root, UNKNOWN, b'{"questions_asked": 3}')
    write(root, KEPT_NEIGHBOUR, b'{"not": "in the ledger"}')
    write(root, INDEXER, b"indexer cache, never app data")
    write(root, OUTSIDE, b"not a legacy root")
    (root / "conversation_history" / "empty_before").mkdir()
    return root


def run_json(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    status = main(["move-to-legacy", *argv, "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_moves_vouched_files_to_the_same_relative_path(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {path: (app / path).read_bytes() for path in MOVABLE}
    status = main(["move-to-legacy", "--root", str(app)])
    out = capsys.readouterr().out
    assert status == 0
    for path, data in before.items():
        assert not (app / path).exists()
        assert (app / "legacy" / path).read_bytes() == data
        assert f"  {path}\n" in out
    assert f"  moved: {len(MOVABLE)}\n" in out
    assert "  clashes: 0\n" in out


def test_leaves_rejected_unknown_and_changed_files_with_reasons(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = {p: (app / p).read_bytes() for p in (REJECTED, CHANGED, UNKNOWN, KEPT_NEIGHBOUR, INDEXER, OUTSIDE)}
    status, report = run_json("--root", str(app), capsys=capsys)
    assert status == 0
    left = {item["path"]: item for item in report["left_in_place"]}
    assert set(left) == {REJECTED, CHANGED, UNKNOWN, KEPT_NEIGHBOUR}  # indexer cache, non-roots: not ours
    assert left[REJECTED]["reason"] == "rejected"
    assert left[REJECTED]["detail"] == "invalid JSON: truncated at byte 32"
    assert left[CHANGED]["reason"] == "changed"
    assert left[UNKNOWN]["reason"] == left[KEPT_NEIGHBOUR]["reason"] == "not_imported"
    assert report["summary"]["left_in_place_by_reason"] == {"rejected": 1, "changed": 1, "not_imported": 2}
    assert sorted(report["moved"]) == sorted(MOVABLE)
    for path, data in kept.items():
        assert (app / path).read_bytes() == data
        assert not (app / "legacy" / path).exists()


def test_human_output_lists_left_files_with_their_reason(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["move-to-legacy", "--root", str(app)]) == 0
    out = capsys.readouterr().out
    assert f"{REJECTED}  [rejected by the import: invalid JSON: truncated at byte 32]" in out
    assert f"{CHANGED}  [changed since import (sha256 differs)" in out
    assert f"{UNKNOWN}  [never imported (not in the ledger)]" in out
    assert "left in place: 4 (changed 1, not imported 2, rejected 1)" in out


def test_a_clash_is_skipped_and_both_files_keep_their_bytes(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source_bytes = (app / CONV).read_bytes()
    other = write(app / "legacy", CONV, b"an older, different archive copy")
    same = write(app / "legacy", MODEL, (app / MODEL).read_bytes())
    status, report = run_json("--root", str(app), capsys=capsys)
    assert status == 0
    assert {c["path"]: c["identical"] for c in report["clashes"]} == {CONV: False, MODEL: True}
    assert (app / CONV).read_bytes() == source_bytes
    assert (app / "legacy" / CONV).read_bytes() == other
    assert (app / MODEL).read_bytes() == same and (app / "legacy" / MODEL).read_bytes() == same
    assert CONV not in report["moved"] and MODEL not in report["moved"]
    assert report["summary"]["moved"] == len(MOVABLE) - 2


def test_directories_emptied_by_the_moves_are_removed_others_kept(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = run_json("--root", str(app), capsys=capsys)
    assert status == 0
    assert not (app / "conversation_history/test_user").exists()
    assert not (app / "conversation_history/data/exports").exists()
    assert not (app / "assessment_conversations").exists()  # emptied all the way up
    assert not (app / "student_models/sessions").exists()
    assert (app / "conversation_history/data/api_test_student").is_dir()  # still holds a file
    assert (app / "conversation_history/empty_before").is_dir()  # empty before: not ours to remove
    assert (app / "student_models/session_stats").is_dir()
    assert app.is_dir() and (app / "legacy").is_dir()
    assert set(report["removed_dirs"]) == {
        "conversation_history/test_user", "conversation_history/data/exports", "assessment_conversations/anonymous",
        "assessment_conversations", "student_models/sessions/test_user", "student_models/sessions",
    }


def test_dry_run_prints_the_plan_and_touches_nothing(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(app)
    assert main(["move-to-legacy", "--root", str(app), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"would move ({len(MOVABLE)}):" in out
    assert all(f"  {path}\n" in out for path in MOVABLE)
    assert "dry run, nothing was changed" in out
    status, report = run_json("--root", str(app), "--dry-run", capsys=capsys)
    assert status == 0 and report["dry_run"] is True
    assert sorted(report["planned"]) == sorted(MOVABLE) and report["moved"] == []
    assert snapshot(app) == before


def test_second_run_moves_nothing_and_says_so(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["move-to-legacy", "--root", str(app)]) == 0
    capsys.readouterr()
    after_first = snapshot(app)
    assert main(["move-to-legacy", "--root", str(app)]) == 0
    out = capsys.readouterr().out
    assert "  moved: 0\n" in out and "nothing to move" in out
    assert f"already in legacy/ from an earlier run: {len(MOVABLE)}" in out
    assert snapshot(app) == after_first


def test_a_failed_move_exits_1_and_keeps_the_source(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # legacy/student_models is a FILE: the target's parent cannot be created, even by root.
    write(app / "legacy", "student_models", b"in the way")
    model, session = (app / MODEL).read_bytes(), (app / SESSION).read_bytes()
    status = main(["move-to-legacy", "--root", str(app), "--json"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert status == 1
    assert {f["path"] for f in report["failed"]} == {MODEL, SESSION}
    assert (app / MODEL).read_bytes() == model and (app / SESSION).read_bytes() == session
    assert (app / "legacy/student_models").read_bytes() == b"in the way"
    assert (app / "legacy" / CONV).is_file()  # the others still moved
    assert captured.err.strip() == "error: 2 move(s) failed; those files are still in place"


def test_function_api_reads_the_ledger_in_one_query(app: Path, committed_db: Engine, count_statements) -> None:
    plan = plan_move(app, engine=committed_db)
    ledger_reads = [s for s in count_statements.statements if "import_files" in s]
    assert len(ledger_reads) == 1
    assert sorted(m.path for m in plan.moves) == sorted(MOVABLE)
    assert not (app / "legacy").exists()
    report = execute_move(plan)
    assert sorted(report.moved) == sorted(MOVABLE) and report.ok
    assert move_to_legacy(app, engine=committed_db).moved == []


def test_a_file_changed_after_planning_is_not_moved(app: Path, committed_db: Engine) -> None:
    plan = plan_move(app, app.parent / "archive", engine=committed_db)
    (app / CHAT).write_bytes(b'{"edited": "between plan and move"}')
    report = execute_move(plan)
    assert CHAT not in report.moved and report.ok
    assert [(i.path, i.reason) for i in report.left if i.path == CHAT] == [(CHAT, "changed")]
    assert (app / CHAT).read_bytes() == b'{"edited": "between plan and move"}'
    assert (app.parent / "archive" / CONV).is_file() and not (app / "legacy").exists()


def test_a_legacy_dir_inside_a_root_is_neither_listed_nor_removed(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = app / "conversation_history" / "archive"
    write(archive, "conversation_history/old/conversation_x.json", b"{}")
    status, report = run_json("--root", str(app), "--legacy-dir", str(archive), capsys=capsys)
    assert status == 0
    assert not any("conversation_x" in item["path"] for item in report["left_in_place"])
    assert (archive / CONV).is_file() and (archive / "conversation_history/old/conversation_x.json").is_file()
    assert "conversation_history/test_user" in report["removed_dirs"]
    assert not any(d.startswith("conversation_history/archive") for d in report["removed_dirs"])


def test_across_filesystems_the_copy_is_verified_before_the_source_goes(
    app: Path, committed_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_link = os.link
    sources = {str(app / path) for path in MOVABLE}

    def link(src, dst, *args, **kwargs):  # the kernel's answer for a rename across devices
        if str(src) in sources:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(file_moves.os, "link", link)
    data = (app / CONV).read_bytes()
    report = move_to_legacy(app, engine=committed_db)
    assert sorted(report.moved) == sorted(MOVABLE)
    assert (app / "legacy" / CONV).read_bytes() == data and not (app / CONV).exists()
    assert not list((app / "legacy").rglob("*.moving"))


def test_copy_with_wrong_checksum_keeps_the_source_and_leaves_no_temp(tmp_path: Path) -> None:
    source = tmp_path / "src" / "a.json"
    write(tmp_path, "src/a.json", b'{"a": 1}')
    (tmp_path / "dst").mkdir()
    with pytest.raises(MoveError, match="does not match the expected sha256"):
        copy_then_remove(source, tmp_path / "dst" / "a.json", sha(b"something else"))
    assert source.read_bytes() == b'{"a": 1}'
    assert list((tmp_path / "dst").iterdir()) == []
    copy_then_remove(source, tmp_path / "dst" / "a.json", sha(b'{"a": 1}'))
    assert (tmp_path / "dst" / "a.json").read_bytes() == b'{"a": 1}' and not source.exists()


def test_database_down_is_one_line_and_exit_1(
    app: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://nobody:secret@127.0.0.1:{port}/nothing")
    db_connection.dispose_engine()
    before = snapshot(app)
    try:
        status = main(["move-to-legacy", "--root", str(app)])
    finally:
        monkeypatch.undo()
        db_connection.dispose_engine()
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("error: no PostgreSQL server answers at 127.0.0.1:") and err.count("\n") == 1
    assert "secret" not in err
    assert snapshot(app) == before


def test_usage_errors_exit_2(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["move-to-legacy", "--root", str(app / "nope")]) == 2
    assert main(["move-to-legacy", "--root", str(app), "--legacy-dir", str(app.parent)]) == 2
    err = capsys.readouterr().err
    assert "is not a directory" in err and "cannot be the root or contain it" in err


def test_shell_wrapper_acts_on_the_working_directory(app: Path) -> None:
    result = subprocess.run([str(PROJECT / "move_to_legacy.sh"), "--json"], cwd=app, capture_output=True,
                            text=True, env=dict(os.environ), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["root"] == str(app) and sorted(report["moved"]) == sorted(MOVABLE)
    assert all((app / "legacy" / path).is_file() for path in MOVABLE)
    assert not (PROJECT / "legacy" / CONV).exists()


def test_shell_wrapper_uses_the_project_env_file_when_the_cwd_has_none(app: Path, tmp_path: Path) -> None:
    # A copy of the project layout whose .env is the only place the database URL is written.
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy2(PROJECT / "move_to_legacy.sh", project / "move_to_legacy.sh")
    shutil.copy2(PROJECT / "scripts/python_env.sh", project / "scripts/python_env.sh")
    (project / "database").symlink_to(PROJECT / "database")
    (project / ".venv").symlink_to(PROJECT / ".venv")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "VIRTUAL_ENV", "PYTHONPATH")}
    (project / ".env").write_text(f"DATABASE_URL={os.environ['DATABASE_URL']}\n")
    result = subprocess.run([str(project / "move_to_legacy.sh"), "--dry-run", "--json"], cwd=app,
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(json.loads(result.stdout)["planned"]) == sorted(MOVABLE)
    assert (app / CONV).is_file()
