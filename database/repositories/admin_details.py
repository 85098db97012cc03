"""Read-only queries behind show-user and show-conversation: a fixed number of statements each."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import Connection, RowMapping, func, select
from sqlalchemy.orm import aliased

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
from database.repositories.admin_queries import message_count


def user_summary(conn: Connection, username: str) -> RowMapping | None:
    """Account, profile and activity of one user in one statement (never the password hash).

    The latest times come from index probes ((user_id, start_time) and (conversation_id,
    position)); the last message is the last one of the user's latest conversation.
    """
    U, S, C = User, UserSession, Conversation
    latest_conversation = (
        select(C.id)
        .where(C.user_id == U.id)
        .order_by(C.start_time.desc())
        .limit(1)
        .correlate(U)  # two levels down: auto-correlation only looks at the enclosing SELECT
        .scalar_subquery()
    )
    last_message = (
        select(Message.sent_at)
        .where(Message.conversation_id == latest_conversation)
        .order_by(Message.position.desc())
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(
            U.id,
            U.username,
            U.name,
            U.email,
            U.role,
            U.created_at,
            U.updated_at,
            U.last_login,
            U.password_hash.is_not(None).label("password_set"),
            U.metadata_.label("metadata"),
            UserProfile.user_id.is_not(None).label("has_profile"),
            UserProfile.overall_mastery,
            UserProfile.community_mastery,
            UserProfile.current_objective,
            func.jsonb_array_length(UserProfile.mastered_objectives).label("mastered_objectives"),
            UserProfile.last_updated.label("profile_updated"),
            select(func.count()).where(S.user_id == U.id).scalar_subquery().label("sessions"),
            select(func.count()).where(C.user_id == U.id).scalar_subquery().label("conversations"),
            select(func.max(S.start_time)).where(S.user_id == U.id).scalar_subquery().label("last_session"),
            select(func.max(S.end_time)).where(S.user_id == U.id).scalar_subquery().label("last_session_end"),
            select(func.max(C.start_time))
            .where(C.user_id == U.id)
            .scalar_subquery()
            .label("last_conversation"),
            select(func.max(C.end_time))
            .where(C.user_id == U.id)
            .scalar_subquery()
            .label("last_conversation_end"),
            last_message.label("last_message"),
        )
        .outerjoin(UserProfile, UserProfile.user_id == U.id)
        .where(U.username == username)
    )
    return conn.execute(stmt).mappings().one_or_none()


def conversation_header(conn: Connection, conversation_id: uuid.UUID) -> RowMapping | None:
    """The conversation, its user and its parameters (one statement)."""
    C, P = Conversation, ConversationParameters
    parameters = [
        getattr(P, column.key).label(f"p_{column.key}")
        for column in P.__table__.columns
        if column.key != "conversation_id"
    ]
    stmt = (
        select(
            C.id,
            C.user_id,
            User.username,
            C.session_id,
            C.conversation_type,
            C.quiz_id,
            C.start_time,
            C.end_time,
            C.duration_seconds,
            C.metadata_.label("metadata"),
            message_count(C.id).label("messages"),
            P.conversation_id.is_not(None).label("has_parameters"),
            *parameters,
        )
        .join(User, User.id == C.user_id)
        .outerjoin(P, P.conversation_id == C.id)
        .where(C.id == conversation_id)
    )
    return conn.execute(stmt).mappings().one_or_none()


def transcript(conn: Connection, conversation_id: uuid.UUID, batch: int = 1000) -> Iterator[RowMapping]:
    """Every message in position order with its question and answer (one statement, streamed
    through a server-side cursor so a long conversation is never held in memory at once)."""
    M, Q, A = Message, Question, Answer
    answered_question, answered_message = aliased(Question), aliased(Message)
    stmt = (
        select(
            M.id,
            M.position,
            M.role,
            M.content,
            M.sent_at,
            M.metadata_.label("metadata"),
            Q.id.label("q_id"),
            Q.question_type.label("q_type"),
            Q.text.label("q_text"),
            Q.difficulty.label("q_difficulty"),
            Q.entity.label("q_entity"),
            Q.tier.label("q_tier"),
            Q.community_id.label("q_community_id"),
            Q.options.label("q_options"),
            Q.correct_answer.label("q_correct_answer"),
            Q.metadata_.label("q_metadata"),
            A.id.label("a_id"),
            A.question_id.label("a_question_id"),
            A.content.label("a_content"),
            A.correct.label("a_correct"),
            A.quality_score.label("a_quality_score"),
            A.feedback.label("a_feedback"),
            A.metadata_.label("a_metadata"),
            answered_message.position.label("a_question_position"),
        )
        .outerjoin(Q, Q.message_id == M.id)
        .outerjoin(A, A.message_id == M.id)
        .outerjoin(answered_question, answered_question.id == A.question_id)
        .outerjoin(answered_message, answered_message.id == answered_question.message_id)
        .where(M.conversation_id == conversation_id)
        .order_by(M.position)
    )
    yield from conn.execution_options(yield_per=batch).execute(stmt).mappings()
