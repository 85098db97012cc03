"""Shared by the import/export tests: fixture trees, CLI runs, and comparable database snapshots."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from database import connection as db_connection

FIXTURES = Path(__file__).parent / "fixtures" / "legacy" / "app"
TABLES = ("users", "user_profiles", "user_sessions", "conversations", "messages", "questions", "answers",
          "cache_entries", "import_files")


def copy_app(tmp_path: Path, name: str = "app") -> Path:
    """A writable copy of the fixture app directory."""
    target = tmp_path / name
    shutil.copytree(FIXTURES, target)
    return target


def write_json(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")
    return path


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:  # noqa: ANN001
    from database.cli import main

    db_connection.dispose_engine()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def import_json(capsys, root: Path, *extra: str) -> tuple[int, dict[str, Any]]:  # noqa: ANN001
    code, out, err = run_cli(capsys, "import", "--root", str(root), "--json", *extra)
    assert err == "", err
    return code, json.loads(out)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def ledger(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT path, sha256, size_bytes, kind, result, reason, counts, "
                                 "conversation_id, recorded_at FROM import_files")).mappings().all()
    return {row["path"]: dict(row) for row in rows}


_SNAPSHOT_QUERIES = {
    "users": "SELECT username, name, password_hash IS NULL AS no_password FROM users",
    "profiles": "SELECT u.username, p.community_mastery, p.entity_familiarity, p.question_type_performance, "
                "p.difficulty_performance, p.overall_mastery, p.mastered_objectives, p.current_objective, "
                "p.recent_questions, p.metadata FROM user_profiles p JOIN users u ON u.id = p.user_id",
    "sessions": "SELECT s.id, u.username, s.start_time, s.end_time, s.questions_asked, s.correct_answers, "
                "s.accuracy, s.mastery_before, s.mastery_after, s.legacy - 'source_paths' AS legacy, "
                "(SELECT array_agg(x ORDER BY x) FROM jsonb_array_elements_text(s.legacy->'source_paths') x) AS paths "
                "FROM user_sessions s JOIN users u ON u.id = s.user_id",
    "conversations": "SELECT c.id, u.username, c.session_id, c.conversation_type, c.quiz_id, c.start_time, c.end_time, "
                     "c.duration_seconds, c.next_position, c.metadata, c.legacy - 'source_paths' AS legacy, "
                     "(SELECT array_agg(x ORDER BY x) FROM jsonb_array_elements_text(c.legacy->'source_paths') x) "
                     "AS paths FROM conversations c JOIN users u ON u.id = c.user_id",
    "messages": "SELECT conversation_id, position, role, content, sent_at, metadata, legacy FROM messages",
    "questions": "SELECT m.conversation_id, m.position, q.question_type, q.text, q.difficulty, q.entity, q.tier, "
                 "q.community_id, q.options, q.correct_answer, q.created_at, q.metadata "
                 "FROM questions q JOIN messages m ON m.id = q.message_id",
    "answers": "SELECT m.conversation_id, m.position, qm.position AS question_position, a.content, a.correct, "
               "a.quality_score, a.feedback, a.created_at, a.metadata FROM answers a "
               "JOIN messages m ON m.id = a.message_id LEFT JOIN questions q ON q.id = a.question_id "
               "LEFT JOIN messages qm ON qm.id = q.message_id",
    "cache_entries": "SELECT cache_type, key, value FROM cache_entries",
    "ledger": "SELECT path, sha256, size_bytes, kind, result, reason, counts, conversation_id FROM import_files",
}


def snapshot(engine: Engine, tables: tuple[str, ...] = tuple(_SNAPSHOT_QUERIES)) -> dict[str, list[str]]:
    """Everything the import produced, without generated ids and clocks: equal for equal imports."""
    result = {}
    with engine.connect() as conn:
        for name in tables:
            rows = conn.execute(text(_SNAPSHOT_QUERIES[name])).mappings().all()
            result[name] = sorted(json.dumps(dict(r), sort_keys=True, default=str) for r in rows)
    return result
