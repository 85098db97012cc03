"""The conversation pass: one conversation per distinct conversation id, every copy recorded.

A file whose conversation id is new is inserted; an identical copy adds its path to the
conversation's ``legacy.source_paths``; a changed file replaces what it produced; a different
file with the same id and other content is a conflict (rejected, naming the first file).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from database.repositories import bulk_copy
from database.repositories import legacy_import as repo
from database.repositories.legacy_records import SessionCandidate, session_candidates
from database.utils.import_common import Context, Item, Outcome, add_counts, credit_new_users, decide
from database.utils.legacy import (
    AnswerDraft,
    LegacyConversation,
    QuestionDraft,
    decode_json,
    derive,
    parse_conversation,
)


@dataclass(slots=True)
class Prepared:
    """What a conversation needs from the database is its user and session; the rest is done ahead."""

    message_ids: list[str]
    copy_text: str
    questions: list[QuestionDraft]  # derived without a session record
    answers: list[AnswerDraft]


def parse_item(item: Item) -> LegacyConversation:
    conv = parse_conversation(decode_json(item.data or b""))
    ids, copy_text = bulk_copy.render_messages(
        conv.id, [(m.role, m.text, m.sent_at, m.metadata, m.legacy) for m in conv.messages])
    item.prepared = Prepared(ids, copy_text, *derive(conv.conversation_type, conv.messages))
    return conv


def best_session(candidates: list[SessionCandidate], start: datetime) -> SessionCandidate | None:
    """The session record a conversation links to: v2 (richer) before v1, then the closest start."""
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c.format != "v2", abs((c.start_time - start).total_seconds()), str(c.id)))


@dataclass(slots=True)
class SentMessage:
    """A message as far as question/answer rows need it."""

    id: uuid.UUID
    sent_at: datetime


def qa_rows(
    messages: list[SentMessage], questions: list[QuestionDraft], answers: list[AnswerDraft]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    question_ids: dict[int, str] = {}
    q_rows = []
    ids = iter(bulk_copy.new_ids(len(questions) + len(answers)))
    for q in questions:
        question_ids[q.position] = qid = next(ids)
        message = messages[q.position]
        q_rows.append({
            "id": qid, "message_id": message.id, "question_type": q.question_type, "text": q.text,
            "difficulty": q.difficulty, "entity": q.entity, "tier": q.tier, "community_id": q.community_id,
            "options": q.options, "correct_answer": q.correct_answer, "created_at": message.sent_at,
            "metadata": q.metadata,
        })
    a_rows = [{
        "id": next(ids), "message_id": messages[a.position].id, "question_id": question_ids[a.question_position],
        "content": a.content, "correct": a.correct, "quality_score": a.quality_score, "feedback": a.feedback,
        "created_at": messages[a.position].sent_at, "metadata": a.metadata,
    } for a in answers]
    return q_rows, a_rows


def write(conn: Connection, items: list[Item], ctx: Context) -> list[Outcome]:
    outcomes: list[Outcome] = [Outcome(it, "rejected", it.error) for it in items if it.error]
    ready = [it for it in items if not it.error]
    prev_ids = {it.prev.conversation_id for it in ready if it.prev and it.prev.conversation_id}
    heads = repo.fetch_heads(conn, "conversations", {it.record.id for it in ready} | prev_ids)
    removes, to_delete = _undo_previous(ready, heads)

    fresh: dict[uuid.UUID, tuple[Item, repo.Head]] = {}
    inserted: dict[uuid.UUID, Outcome] = {}
    adds: list[tuple[uuid.UUID, str]] = []
    for it in ready:
        conv: LegacyConversation = it.record
        known = fresh[conv.id][1] if conv.id in fresh else None if conv.id in to_delete else heads.get(conv.id)
        action = decide(known, it.path, conv.content_sha256)
        if action in ("insert", "replace"):
            if action == "replace":
                to_delete.add(conv.id)
            fresh[conv.id] = (it, repo.Head(conv.content_sha256, [it.path]))
            inserted[conv.id] = Outcome(it, "imported", conversation_id=conv.id)
            outcomes.append(inserted[conv.id])
        elif action == "same":
            outcomes.append(Outcome(it, "imported", counts=dict(it.prev.counts) if it.prev else {},
                                    conversation_id=conv.id, fresh=False))
        elif action == "duplicate":
            assert known is not None
            if conv.id in fresh:
                known.source_paths.append(it.path)
            elif it.path not in known.source_paths:
                adds.append((conv.id, it.path))
            outcomes.append(Outcome(it, "duplicate", f"same conversation as {known.primary}", conversation_id=conv.id))
        else:
            assert known is not None
            outcomes.append(Outcome(it, "rejected", f"conflict: conversation {conv.legacy_id} was already imported "
                                                    f"from {known.primary} with different content"))

    created = repo.ensure_users(conn, {it.record.student_id for it, _ in fresh.values()}, ctx.users)
    rows = _rows([(it, head.source_paths) for it, head in fresh.values()], conn, ctx)
    copies = [p for cid in to_delete if cid in heads for p in heads[cid].source_paths[1:]]
    repo.forget_paths(conn, set(copies) - {it.path for it in items})
    repo.delete_conversations(conn, to_delete)
    repo.change_source_paths(conn, "conversations", adds, [r for r in removes if r[0] not in to_delete])
    bulk_copy.insert_rows(conn, "conversations", rows["conversations"])
    bulk_copy.insert_messages(conn, rows["messages"])
    bulk_copy.insert_rows(conn, "questions", rows["questions"])
    bulk_copy.insert_rows(conn, "answers", rows["answers"])
    for cid, outcome in inserted.items():
        questions, answers = rows["per_conversation"][cid]
        add_counts(outcome.counts, conversations=1, messages=len(outcome.item.record.messages),
                   questions=questions, answers=answers)
    credit_new_users(list(inserted.values()), created, lambda o: o.item.record.student_id)
    return outcomes


def _undo_previous(ready: list[Item], heads: dict[uuid.UUID, repo.Head]) -> tuple[list[Any], set[uuid.UUID]]:
    """A re-examined file no longer counts as the copy it was, nor as the source of another id."""
    removes, to_delete = [], set()
    for it in ready:
        prev = it.prev
        head = heads.get(prev.conversation_id) if prev and prev.conversation_id else None
        if head is None:
            continue
        if head.primary != it.path and it.path in head.source_paths:
            removes.append((prev.conversation_id, it.path))
            head.source_paths.remove(it.path)
        elif head.primary == it.path and prev.conversation_id != it.record.id:
            to_delete.add(prev.conversation_id)
    return removes, to_delete


def _rows(items: list[tuple[Item, list[str]]], conn: Connection, ctx: Context) -> dict[str, Any]:
    convs = [it.record for it, _ in items]
    keys = [(c.id, ctx.users[c.student_id], c.start_time, c.session_key) for c in convs]
    candidates = session_candidates(conn, keys)
    rows: dict[str, Any] = {"conversations": [], "messages": [], "questions": [], "answers": [],
                            "per_conversation": {}}
    for it, paths in items:
        conv: LegacyConversation = it.record
        prepared: Prepared = it.prepared
        session = best_session(candidates.get(conv.id, []), conv.start_time)
        rows["conversations"].append({
            "id": conv.id, "user_id": ctx.users[conv.student_id], "session_id": session.id if session else None,
            "conversation_type": conv.conversation_type, "quiz_id": conv.quiz_id, "start_time": conv.start_time,
            "end_time": conv.end_time, "duration_seconds": conv.duration_seconds, "metadata": conv.metadata,
            "next_position": len(conv.messages),
            "legacy": {**conv.legacy, "source_paths": paths, "content_sha256": conv.content_sha256},
        })
        rows["messages"].append(prepared.copy_text)
        questions, answers = prepared.questions, prepared.answers
        if session is not None and session.question_history:  # the record completes the questions
            questions, answers = derive(conv.conversation_type, conv.messages, session.question_history)
        sent = [SentMessage(mid, m.sent_at) for mid, m in zip(prepared.message_ids, conv.messages)]
        q_rows, a_rows = qa_rows(sent, questions, answers)  # type: ignore[arg-type]
        rows["questions"] += q_rows
        rows["answers"] += a_rows
        rows["per_conversation"][conv.id] = (len(q_rows), len(a_rows))
    return rows
