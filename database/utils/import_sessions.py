"""The session-record pass (v1 and v2) and the re-linking of conversations to session records.

A session record becomes a user_sessions row (whole record kept in ``legacy.record``). Whichever
of a conversation and its record is imported second makes the link, and questions/answers are
derived again from the messages and the record, so the result does not depend on import order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from database.repositories import bulk_copy
from database.repositories import legacy_import as repo
from database.repositories import legacy_records as records_repo
from database.utils.import_common import Context, Item, Outcome, credit_new_users, decide
from database.utils.import_conversations import SentMessage, best_session, qa_rows
from database.utils.legacy import SessionRecord, decode_json, derive, parse_session


def parse_item(item: Item) -> SessionRecord:
    fmt = "v1" if item.file.kind == "session_v1" else "v2"
    return parse_session(decode_json(item.data or b""), fmt, item.file.student_id, item.path)


def write(conn: Connection, items: list[Item], ctx: Context) -> list[Outcome]:
    outcomes: list[Outcome] = [Outcome(it, "rejected", it.error) for it in items if it.error]
    ready = [it for it in items if not it.error]
    produced = records_repo.sessions_from_paths(conn, [it.path for it in ready if it.prev])
    previous_ids = {sid for ids in produced.values() for sid in ids}
    heads = repo.fetch_heads(conn, "user_sessions", {it.record.id for it in ready} | previous_ids)
    removes, to_delete = [], set()
    for it in ready:  # a re-examined file no longer counts as what it was before
        for sid in produced.get(it.path, []):
            head = heads[sid]
            if head.primary != it.path:
                removes.append((sid, it.path))
                head.source_paths.remove(it.path)
            elif sid != it.record.id:
                to_delete.add(sid)

    fresh: dict[uuid.UUID, tuple[Item, repo.Head]] = {}
    adds: list[tuple[uuid.UUID, str]] = []
    for it in ready:
        record: SessionRecord = it.record
        known = fresh[record.id][1] if record.id in fresh else None if record.id in to_delete else heads.get(record.id)
        action = decide(known, it.path, record.content_sha256)
        if action in ("insert", "replace"):
            if action == "replace":
                to_delete.add(record.id)
            fresh[record.id] = (it, repo.Head(record.content_sha256, [it.path]))
            outcomes.append(Outcome(it, "imported", counts={"user_sessions": 1}))
        elif action == "same":
            outcomes.append(Outcome(it, "imported", counts=dict(it.prev.counts) if it.prev else {}, fresh=False))
        elif action == "duplicate":
            assert known is not None
            if record.id in fresh:
                known.source_paths.append(it.path)
            elif it.path not in known.source_paths:
                adds.append((record.id, it.path))
            outcomes.append(Outcome(it, "duplicate", f"same session record as {known.primary}"))
        else:
            assert known is not None
            outcomes.append(Outcome(it, "rejected", f"conflict: a session record of {record.student_id} starting "
                                                    f"at the same time was already imported from {known.primary} "
                                                    "with different content"))

    created = repo.ensure_users(conn, {it.record.student_id for it, _ in fresh.values()}, ctx.users)
    relinked = records_repo.conversations_of_sessions(conn, to_delete)
    copies = [p for sid in to_delete if sid in heads for p in heads[sid].source_paths[1:]]
    repo.forget_paths(conn, set(copies) - {it.path for it in items})
    records_repo.delete_sessions(conn, to_delete)
    repo.change_source_paths(conn, "user_sessions", adds, [r for r in removes if r[0] not in to_delete])
    records_repo.insert_sessions(conn, [_row(it.record, head.source_paths, ctx) for it, head in fresh.values()])
    keys = [(ctx.users[r.student_id], r.format, r.stem, r.start_time) for r in (it.record for it, _ in fresh.values())]
    relinked |= records_repo.conversations_matching(conn, keys)
    relink(conn, relinked)
    credit_new_users([o for o in outcomes if o.result == "imported" and o.fresh], created,
                     lambda o: o.item.record.student_id)
    return outcomes


def _row(record: SessionRecord, paths: list[str], ctx: Context) -> dict[str, Any]:
    return {
        "id": record.id, "user_id": ctx.users[record.student_id], "session_type": "quiz",
        "start_time": record.start_time, "end_time": record.end_time, "questions_asked": record.questions_asked,
        "correct_answers": record.correct_answers, "accuracy": record.accuracy,
        "mastery_before": record.mastery_before, "mastery_after": record.mastery_after,
        "legacy": {"format": record.format, "stem": record.stem, "source_paths": paths,
                   "content_sha256": record.content_sha256, "record": record.record},
    }


@dataclass(slots=True)
class _Stored:
    """A stored message, shaped like a parsed one for ``derive``."""

    role: str
    text: str
    metadata: dict[str, Any]


def relink(conn: Connection, conversation_ids: Iterable[uuid.UUID]) -> None:
    """Point conversations at their best session record and derive their questions/answers again."""
    keys = records_repo.link_keys(conn, sorted(set(conversation_ids), key=str))
    if not keys:
        return
    ids = [k.id for k in keys]
    candidates = records_repo.session_candidates(conn, [(k.id, k.user_id, k.start_time, k[3]) for k in keys])
    stored = repo.messages_of(conn, ids)
    links, q_rows, a_rows = [], [], []
    for key in keys:
        session = best_session(candidates.get(key.id, []), key.start_time)
        links.append((key.id, session.id if session else None))
        messages = stored[key.id]
        questions, answers = derive(key.conversation_type, [_Stored(m[1], m[2], m[3]) for m in messages],
                                    session.question_history if session else None)
        qs, ans = qa_rows([SentMessage(m[0], m[4]) for m in messages], questions, answers)
        q_rows += qs
        a_rows += ans
    repo.delete_questions_and_answers(conn, ids)
    bulk_copy.insert_rows(conn, "questions", q_rows)
    bulk_copy.insert_rows(conn, "answers", a_rows)
    repo.set_session_links(conn, links)

