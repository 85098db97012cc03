"""Bulk writes of the legacy importer for session records, profiles, links and caches.

Never commits. Session ↔ conversation links are found by set-based queries (one per batch):
v1 records by ``conversations.metadata.session_id == record stem``, v2 records by the same
user and a start time within a few milliseconds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from database.models import CacheEntry, Conversation, UserProfile, UserSession

SESSIONS = UserSession.__table__
PROFILES = UserProfile.__table__
CACHE = CacheEntry.__table__
CONVERSATIONS = Conversation.__table__
# How far apart a v2 record's start and its conversation's start may be: they were stamped by
# separate clock reads, equal or a few milliseconds apart.
V2_WINDOW = "interval '5 milliseconds'"


@dataclass(frozen=True, slots=True)
class SessionCandidate:
    id: uuid.UUID
    format: str
    start_time: datetime
    question_history: list[Any] | None


def insert_sessions(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(SESSIONS), rows)


def delete_sessions(conn: Connection, ids: Iterable[uuid.UUID]) -> None:
    ids = list(ids)
    if ids:  # their conversations stay (conversations.session_id ON DELETE SET NULL)
        conn.execute(delete(SESSIONS).where(SESSIONS.c.id.in_(ids)))


def sessions_from_paths(conn: Connection, paths: Sequence[str]) -> dict[str, list[uuid.UUID]]:
    """Sessions whose recorded source paths include one of ``paths`` (what a file produced)."""
    if not paths:
        return {}
    rows = conn.execute(
        text("SELECT p.path, s.id FROM unnest(CAST(:paths AS text[])) AS p(path) "
             "JOIN user_sessions s ON s.legacy->'source_paths' ? p.path"),
        {"paths": list(paths)},
    )
    found: dict[str, list[uuid.UUID]] = {}
    for path, sid in rows:
        found.setdefault(path, []).append(sid)
    return found


def conversations_of_sessions(conn: Connection, session_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    ids = list(session_ids)
    if not ids:
        return set()
    return set(conn.execute(select(CONVERSATIONS.c.id).where(CONVERSATIONS.c.session_id.in_(ids))).scalars())


def conversations_matching(conn: Connection, keys: list[tuple[uuid.UUID, str, str, datetime]]) -> set[uuid.UUID]:
    """Conversations a set of session records (user id, format, stem, start) link to."""
    if not keys:
        return set()
    rows = conn.execute(
        text("SELECT DISTINCT c.id FROM unnest(CAST(:uids AS uuid[]), CAST(:fmts AS text[]), "
             "CAST(:stems AS text[]), CAST(:starts AS timestamptz[])) AS k(uid, fmt, stem, st) "
             "JOIN conversations c ON c.user_id = k.uid AND ("
             "(k.fmt = 'v1' AND c.metadata->>'session_id' = k.stem) OR "
             f"(k.fmt = 'v2' AND c.start_time BETWEEN k.st - {V2_WINDOW} AND k.st + {V2_WINDOW}))"),
        {"uids": [str(k[0]) for k in keys], "fmts": [k[1] for k in keys], "stems": [k[2] for k in keys],
         "starts": [k[3] for k in keys]},
    )
    return set(rows.scalars())


def link_keys(conn: Connection, conversation_ids: Iterable[uuid.UUID]) -> list[Any]:
    """(id, user_id, start_time, metadata.session_id, type, session_id) of conversations."""
    ids = list(conversation_ids)
    if not ids:
        return []
    c = CONVERSATIONS.c
    return conn.execute(select(c.id, c.user_id, c.start_time, c.metadata["session_id"].astext,
                               c.conversation_type, c.session_id).where(c.id.in_(ids))).all()


def session_candidates(
    conn: Connection, keys: list[tuple[uuid.UUID, uuid.UUID, datetime, str | None]]
) -> dict[uuid.UUID, list[SessionCandidate]]:
    """Session records that could link to each conversation (id, user id, start, metadata.session_id)."""
    if not keys:
        return {}
    rows = conn.execute(
        text("SELECT k.cid, s.id, s.legacy->>'format', s.start_time, s.legacy->'record'->'question_history' "
             "FROM unnest(CAST(:cids AS uuid[]), CAST(:uids AS uuid[]), CAST(:starts AS timestamptz[]), "
             "CAST(:skeys AS text[])) AS k(cid, uid, st, skey) "
             "JOIN user_sessions s ON s.user_id = k.uid AND ("
             "(s.legacy->>'format' = 'v1' AND s.legacy->>'stem' = k.skey) OR "
             f"(s.legacy->>'format' = 'v2' AND s.start_time BETWEEN k.st - {V2_WINDOW} AND k.st + {V2_WINDOW}))"),
        {"cids": [str(k[0]) for k in keys], "uids": [str(k[1]) for k in keys], "starts": [k[2] for k in keys],
         "skeys": [k[3] for k in keys]},
    )
    found: dict[uuid.UUID, list[SessionCandidate]] = {}
    for cid, sid, fmt, start, history in rows:
        found.setdefault(uuid.UUID(str(cid)), []).append(SessionCandidate(sid, fmt, start, history))
    return found


def profiles_of(conn: Connection, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    ids = list(user_ids)
    if not ids:
        return {}
    rows = conn.execute(select(PROFILES.c.user_id, PROFILES.c.metadata).where(PROFILES.c.user_id.in_(ids)))
    return {uid: dict(meta or {}) for uid, meta in rows}


def profiles_with_model(conn: Connection, paths: Sequence[str]) -> dict[str, uuid.UUID]:
    """Which user's profile holds the student model read from each path."""
    if not paths:
        return {}
    rows = conn.execute(
        text("SELECT p.path, u.user_id FROM unnest(CAST(:paths AS text[])) AS p(path) "
             "JOIN user_profiles u ON u.metadata->'models' ? p.path"),
        {"paths": list(paths)},
    )
    return {path: uid for path, uid in rows}


def update_profiles(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Each row: user_id plus every user_profiles column to set."""
    if rows:
        values = {key: bindparam(f"v_{key}") for key in rows[0] if key != "user_id"}
        conn.execute(update(PROFILES).where(PROFILES.c.user_id == bindparam("v_user_id")).values(**values),
                     [{f"v_{key}": value for key, value in row.items()} for row in rows])


def replace_cache_entries(conn: Connection, namespaces: list[str], keyed: list[tuple[str, str]],
                          rows: list[dict[str, Any]], chunk: int = 2000) -> None:
    """Drop whole namespaces (cache files) and single (namespace, key) entries, then insert ``rows``."""
    if namespaces:
        conn.execute(delete(CACHE).where(CACHE.c.cache_type.in_(namespaces)))
    if keyed:
        conn.execute(delete(CACHE).where(tuple_(CACHE.c.cache_type, CACHE.c.key).in_(keyed)))
    for start in range(0, len(rows), chunk):
        stmt = pg_insert(CACHE)
        conn.execute(stmt.on_conflict_do_update(index_elements=["cache_type", "key"],
                                                set_={"value": stmt.excluded.value}), rows[start:start + chunk])
