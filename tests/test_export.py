"""``export-conversation``: every imported conversation file comes back equal; native ones too."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, text

from database.models import Conversation, Message, User
from database.utils.legacy import classify
from tests.import_helpers import FIXTURES, copy_app, import_json, run_cli

CONVERSATION_FILES = sorted(
    p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.json")
    if classify(p.relative_to(FIXTURES).as_posix())[0] in ("conversation", "conversation_export")
)


def _load(path):  # noqa: ANN001
    return json.loads(path.read_bytes().decode("utf-8-sig"))


@pytest.fixture
def imported(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    import_json(capsys, root)
    return committed_db


def test_fixtures_cover_every_conversation_variant():
    assert len(CONVERSATION_FILES) == 11  # 9 conversations + 2 export copies
    names = " ".join(CONVERSATION_FILES)
    assert "conversation_3_" in names and "test_conversation_" in names and "/exports/" in names
    assert "/test_exports/" in names and "kg_quizzing/scripts/" in names


@pytest.mark.parametrize("relpath", CONVERSATION_FILES)
def test_export_parses_equal_to_the_imported_file(imported, capsys, relpath):
    original = _load(FIXTURES / relpath)
    code, out, err = run_cli(capsys, "export-conversation", original["conversation_id"])
    assert (code, err) == (0, "")
    exported = json.loads(out)
    assert exported == original
    # Exact floats and ints, not merely equal numbers.
    assert repr(exported["start_time"]) == repr(original["start_time"])
    for mine, theirs in zip(exported["messages"], original["messages"]):
        assert repr(mine["timestamp"]) == repr(theirs["timestamp"])
    assert list(exported)[:5] == [k for k in ("conversation_id", "student_id", "quiz_id", "metadata", "messages")
                                  if k in original]


def test_export_all_writes_one_file_per_conversation(imported, capsys, tmp_path):
    out_dir = tmp_path / "out"
    code, out, _ = run_cli(capsys, "export-conversation", "--all", "--output-dir", str(out_dir))
    assert code == 0 and out == f"wrote 9 conversation(s) to {out_dir}\n"
    written = {p.name: json.loads(p.read_text()) for p in out_dir.iterdir()}
    assert "3.json" in written and "A1B2C3D4-0000-4000-8000-00000000ABCD.json" in written
    for relpath in CONVERSATION_FILES:
        original = _load(FIXTURES / relpath)
        assert written[f"{original['conversation_id']}.json"] == original


def test_export_by_database_uuid_of_a_non_uuid_legacy_id(imported, capsys):
    with imported.connect() as conn:
        cid = conn.execute(text("SELECT id FROM conversations WHERE legacy->>'conversation_id' = '3'")).scalar_one()
    code, out, _ = run_cli(capsys, "export-conversation", str(cid))
    assert code == 0 and json.loads(out)["conversation_id"] == "3"


def test_native_conversation_exports_in_the_same_shape(committed_db, capsys):
    sent = datetime(2025, 6, 4, 8, 0, 0, 250000, tzinfo=timezone.utc)
    cid, uid = uuid.uuid4(), uuid.uuid4()
    with committed_db.begin() as conn:
        conn.execute(insert(User.__table__).values(id=uid, username="native"))
        conn.execute(insert(Conversation.__table__).values(
            id=cid, user_id=uid, conversation_type="chat", quiz_id=None, start_time=sent, metadata={"mode": "chat"}))
        conn.execute(insert(Message.__table__), [
            {"conversation_id": cid, "position": 0, "role": "user", "content": "Hi", "sent_at": sent, "metadata": {}},
            {"conversation_id": cid, "position": 1, "role": "assistant", "content": "Well met!", "sent_at": sent,
             "metadata": {"is_feedback": None}}])
    code, out, _ = run_cli(capsys, "export-conversation", str(cid))
    assert code == 0
    assert json.loads(out) == {
        "conversation_id": str(cid), "student_id": "native", "quiz_id": None, "metadata": {"mode": "chat"},
        "messages": [
            {"role": "user", "content": "Hi", "timestamp": sent.timestamp(),
             "timestamp_formatted": "2025-06-04T08:00:00.250000", "metadata": {}},
            {"role": "assistant", "content": "Well met!", "timestamp": sent.timestamp(),
             "timestamp_formatted": "2025-06-04T08:00:00.250000", "metadata": {"is_feedback": None}}],
        "start_time": sent.timestamp(), "start_time_formatted": "2025-06-04T08:00:00.250000",
        "end_time": None, "end_time_formatted": None, "duration_seconds": None,
    }


def test_export_errors(committed_db, capsys, tmp_path):
    code, out, err = run_cli(capsys, "export-conversation", "00000000-0000-4000-8000-000000000000")
    assert (code, out) == (1, "") and err == "error: no conversation with id 00000000-0000-4000-8000-000000000000\n"
    assert run_cli(capsys, "export-conversation")[0] == 2
    assert run_cli(capsys, "export-conversation", "--all")[0] == 2
    assert run_cli(capsys, "export-conversation", "x", "--all", "--output-dir", str(tmp_path))[0] == 2
