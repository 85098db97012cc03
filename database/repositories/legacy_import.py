"""Bulk writes of the legacy importer: ledger, users, conversations, messages, questions, answers.

Every function takes a Connection inside the caller's transaction and never commits. The big
tables are loaded with COPY (``bulk_copy``); the rest is one statement per batch, never per row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from database.models import Answer, Conversation, ImportedFile, Message, Question, User, UserProfile
from database.repositories import bulk_copy

LEDGER = ImportedFile.__table__
CONVERSATIONS = Conversation.__table__
MESSAGES = Message.__table__
QUESTIONS = Question.__table__
ANSWERS = Answer.__table__
USERS = User.__table__
PROFILES = UserProfile.__table__


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    path: str
    sha256: str
    size_bytes: int
    kind: str
    result: str
    reason: str | None
    counts: dict[str, int]
    conversation_id: uuid.UUID | None


@dataclass(slots=True)
class Head:
    """What the database holds for a legacy identity: its content digest and source paths."""

    content_sha256: str | None
    source_paths: list[str]

    @property
    def primary(self) -> str | None:
        return self.source_paths[0] if self.source_paths else None


def fetch_ledger(conn: Connection, paths: Sequence[str]) -> dict[str, LedgerEntry]:
    if not paths:
        return {}
    columns = [LEDGER.c[name] for name in LedgerEntry.__slots__]  # type: ignore[attr-defined]
    rows = conn.execute(select(*columns).where(LEDGER.c.path.in_(paths)))
    return {row.path: LedgerEntry(*row) for row in rows}


def upsert_ledger(conn: Connection, rows: list[dict[str, Any]], new: bool = False) -> None:
    """Record files; ``new``: none of the paths is in the ledger yet (a plain COPY then)."""
    if not rows:
        return
    if new:
        bulk_copy.insert_rows(conn, "import_files", rows)
        return
    stmt = pg_insert(LEDGER)
    changed = {name: stmt.excluded[name] for name in ("sha256", "size_bytes", "kind", "result", "reason",
                                                     "counts", "conversation_id")}
    conn.execute(stmt.on_conflict_do_update(index_elements=["path"], set_={**changed, "recorded_at": func.now()}),
                 rows)


def forget_paths(conn: Connection, paths: Iterable[str]) -> None:
    """Drop ledger rows (copies of a replaced record): the next run examines those files afresh."""
    paths = list(paths)
    if paths:
        conn.execute(delete(LEDGER).where(LEDGER.c.path.in_(paths), LEDGER.c.result == "duplicate"))


def ensure_users(conn: Connection, usernames: Iterable[str], known: dict[str, uuid.UUID]) -> set[str]:
    """Create missing users (no password) with an empty profile; fills ``known``; returns the new names."""
    missing = sorted({name for name in usernames if name not in known})
    if not missing:
        return set()
    created = conn.execute(
        pg_insert(USERS).values([{"id": uuid.uuid4(), "username": name} for name in missing])
        .on_conflict_do_nothing(index_elements=["username"]).returning(USERS.c.username, USERS.c.id)
    ).all()
    known.update({name: uid for name, uid in created})
    rest = [name for name in missing if name not in known]
    if rest:
        known.update({r.username: r.id for r in conn.execute(select(USERS.c.username, USERS.c.id)
                                                             .where(USERS.c.username.in_(rest)))})
    conn.execute(pg_insert(PROFILES).values([{"user_id": known[name]} for name in missing])
                 .on_conflict_do_nothing(index_elements=["user_id"]))
    return {name for name, _ in created}


def fetch_heads(conn: Connection, table_name: str, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Head]:
    """Content digest and source paths of imported conversations or sessions, by id."""
    ids = list(ids)
    if not ids:
        return {}
    table = CONVERSATIONS if table_name == "conversations" else _sessions_table()
    rows = conn.execute(select(table.c.id, table.c.legacy["content_sha256"].astext,
                               table.c.legacy["source_paths"]).where(table.c.id.in_(ids)))
    return {row[0]: Head(row[1], list(row[2] or [])) for row in rows}


def _sessions_table():  # noqa: ANN202
    from database.models import UserSession

    return UserSession.__table__


def change_source_paths(conn: Connection, table_name: str, adds: list[tuple[uuid.UUID, str]],
                        removes: list[tuple[uuid.UUID, str]]) -> None:
    """Record (or forget) extra files holding an identical copy of an imported row."""
    table = "conversations" if table_name == "conversations" else "user_sessions"
    if removes:
        conn.execute(text(f"UPDATE {table} SET legacy = jsonb_set(legacy, '{{source_paths}}', "
                          "COALESCE(legacy->'source_paths', '[]'::jsonb) - CAST(:path AS text)) WHERE id = :id"),
                     [{"id": i, "path": p} for i, p in removes])
    if adds:
        conn.execute(text(f"UPDATE {table} SET legacy = jsonb_set(legacy, '{{source_paths}}', "
                          "COALESCE(legacy->'source_paths', '[]'::jsonb) || jsonb_build_array(CAST(:path AS text))) "
                          "WHERE id = :id AND NOT COALESCE(legacy->'source_paths', '[]'::jsonb) ? :path"),
                     [{"id": i, "path": p} for i, p in adds])


def delete_conversations(conn: Connection, ids: Iterable[uuid.UUID]) -> None:
    ids = list(ids)
    if ids:  # messages, questions and answers go with them (ON DELETE CASCADE)
        conn.execute(delete(CONVERSATIONS).where(CONVERSATIONS.c.id.in_(ids)))


def messages_of(conn: Connection, conversation_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """Messages of the conversations in position order: (id, role, content, metadata, sent_at)."""
    if not conversation_ids:
        return {}
    rows = conn.execute(
        select(MESSAGES.c.conversation_id, MESSAGES.c.id, MESSAGES.c.role, MESSAGES.c.content,
               MESSAGES.c.metadata, MESSAGES.c.sent_at)
        .where(MESSAGES.c.conversation_id.in_(list(conversation_ids)))
        .order_by(MESSAGES.c.conversation_id, MESSAGES.c.position)
    )
    result: dict[uuid.UUID, list[Any]] = {cid: [] for cid in conversation_ids}
    for row in rows:
        result[row[0]].append(row[1:])
    return result


def delete_questions_and_answers(conn: Connection, conversation_ids: Sequence[uuid.UUID]) -> None:
    if not conversation_ids:
        return
    in_conversations = select(MESSAGES.c.id).where(MESSAGES.c.conversation_id.in_(list(conversation_ids)))
    conn.execute(delete(ANSWERS).where(ANSWERS.c.message_id.in_(in_conversations)))
    conn.execute(delete(QUESTIONS).where(QUESTIONS.c.message_id.in_(in_conversations)))


def set_session_links(conn: Connection, links: list[tuple[uuid.UUID, uuid.UUID | None]]) -> None:
    if links:
        conn.execute(text("UPDATE conversations SET session_id = :sid WHERE id = :cid "
                          "AND session_id IS DISTINCT FROM :sid"),
                     [{"cid": c, "sid": s} for c, s in links])


def set_user_names(conn: Connection, names: dict[uuid.UUID, str | None]) -> None:
    if names:
        conn.execute(update(USERS).where(USERS.c.id == bindparam("uid")).values(name=bindparam("new_name")),
                     [{"uid": uid, "new_name": name} for uid, name in names.items()])
