"""Everything the database holds about one user, read in a fixed number of statements.

One query per kind of row, each filtered by the user: the account with its profile, the
sessions, the conversations with their parameters, and the messages with their question and
answer. Four statements however much the user has (no N+1); the rows are stitched in Python.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from database.models import (
    Answer,
    Conversation,
    ConversationParameters,
    Message,
    Question,
    User,
    UserProfile,
    UserSession,
)
from database.repositories import users as users_repo
from database.serializers import plain

Executor = Session | Connection

_users = User.__table__
_profiles = UserProfile.__table__
_sessions = UserSession.__table__
_conversations = Conversation.__table__
_parameters = ConversationParameters.__table__
_messages = Message.__table__
_questions = Question.__table__
_answers = Answer.__table__

_PROFILE_SKIP = {"user_id"}
_CONVERSATION_SKIP = {"user_id", "next_position"}  # next_position is bookkeeping, not data
_PARAMETER_SKIP = {"conversation_id"}
_MESSAGE_SKIP = {"conversation_id"}
_QA_SKIP = {"message_id"}


def _labelled(table: Any, prefix: str, skip: set[str]) -> list[Any]:
    return [col.label(f"{prefix}{col.name}") for col in table.c if col.name not in skip]


def _pick(mapping: Any, prefix: str, table: Any, skip: set[str]) -> dict[str, Any]:
    return {col.name: plain(mapping[f"{prefix}{col.name}"]) for col in table.c if col.name not in skip}


def _account(ex: Executor, username: str) -> tuple[uuid.UUID, dict[str, Any], dict[str, Any] | None] | None:
    stmt = (
        select(*users_repo.PUBLIC_COLUMNS, *_labelled(_profiles, "p_", set()))
        .select_from(_users.outerjoin(_profiles, _profiles.c.user_id == _users.c.id))
        .where(_users.c.username == username)
    )
    row = ex.execute(stmt).first()
    if row is None:
        return None
    mapping = row._mapping
    profile = _pick(mapping, "p_", _profiles, _PROFILE_SKIP) if mapping["p_user_id"] is not None else None
    return mapping["id"], users_repo.to_dict(row), profile


def for_user(ex: Executor, username: str) -> dict[str, Any] | None:
    found = _account(ex, username)
    if found is None:
        return None
    user_id, account, profile = found

    sessions = [
        {col.name: plain(value) for col, value in zip(_sessions.c, row) if col.name != "user_id"}
        for row in ex.execute(
            select(*_sessions.c)
            .where(_sessions.c.user_id == user_id)
            .order_by(_sessions.c.start_time, _sessions.c.id)
        )
    ]

    conversations: list[dict[str, Any]] = []
    by_id: dict[uuid.UUID, dict[str, Any]] = {}
    stmt = (
        select(*_conversations.c, *_labelled(_parameters, "cp_", set()))
        .select_from(
            _conversations.outerjoin(_parameters, _parameters.c.conversation_id == _conversations.c.id)
        )
        .where(_conversations.c.user_id == user_id)
        .order_by(_conversations.c.start_time, _conversations.c.id)
    )
    for row in ex.execute(stmt):
        mapping = row._mapping
        conversation = {
            col.name: plain(mapping[col]) for col in _conversations.c if col.name not in _CONVERSATION_SKIP
        }
        has_parameters = mapping["cp_conversation_id"] is not None
        conversation["parameters"] = (
            _pick(mapping, "cp_", _parameters, _PARAMETER_SKIP) if has_parameters else None
        )
        conversation["messages"] = []
        conversations.append(conversation)
        by_id[mapping[_conversations.c.id]] = conversation

    stmt = (
        select(
            *_labelled(_messages, "m_", set()),
            *_labelled(_questions, "q_", set()),
            *_labelled(_answers, "a_", set()),
        )
        .select_from(
            _messages.join(_conversations, _conversations.c.id == _messages.c.conversation_id)
            .outerjoin(_questions, _questions.c.message_id == _messages.c.id)
            .outerjoin(_answers, _answers.c.message_id == _messages.c.id)
        )
        .where(_conversations.c.user_id == user_id)
        .order_by(_messages.c.conversation_id, _messages.c.position)
    )
    for row in ex.execute(stmt):
        mapping = row._mapping
        message = _pick(mapping, "m_", _messages, _MESSAGE_SKIP)
        message["question"] = (
            _pick(mapping, "q_", _questions, _QA_SKIP) if mapping["q_id"] is not None else None
        )
        message["answer"] = _pick(mapping, "a_", _answers, _QA_SKIP) if mapping["a_id"] is not None else None
        owner = by_id.get(mapping["m_conversation_id"])
        if owner is not None:  # (only a conversation created mid-export could be missing)
            owner["messages"].append(message)

    return {"user": account, "profile": profile, "sessions": sessions, "conversations": conversations}
