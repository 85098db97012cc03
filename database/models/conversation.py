"""Conversations, their parameters, their messages, and the questions/answers in them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database.models.base import Base, created_ts, json_object, uuid_pk
from database.models.user import User, UserSession


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index(None, "user_id", "start_time"),
        Index(None, "session_id"),
        # Admin listing newest first across all users (keyset on start_time, id).
        Index(None, "start_time", "id"),
        CheckConstraint("char_length(conversation_type) > 0", name="type_not_empty"),
    )

    id: Mapped[uuid_pk]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Deleting a quiz session keeps its conversations.
    session_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_sessions.id", ondelete="SET NULL"))
    conversation_type: Mapped[str] = mapped_column(String(32), default="chat", server_default="chat")
    quiz_id: Mapped[Optional[str]] = mapped_column(String(255))
    start_time: Mapped[created_ts]
    end_time: Mapped[Optional[datetime]]
    duration_seconds: Mapped[Optional[float]]
    # The position the next message gets. add_message bumps it in the same statement that
    # inserts the message: the row lock serialises concurrent writers (see repositories).
    next_position: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    metadata_: Mapped[json_object] = mapped_column("metadata")
    # What a legacy file held that has no column (formatted times, exact floats, ...): lossless export.
    legacy: Mapped[Optional[dict[str, Any]]]

    user: Mapped[User] = relationship(back_populates="conversations")
    session: Mapped[Optional[UserSession]] = relationship()
    parameters: Mapped[Optional["ConversationParameters"]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )
    messages: Mapped[list["Message"]] = relationship(
        back_populates="conversation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Message.position",
    )


class ConversationParameters(Base):
    """Retrieval/LLM settings a conversation ran with (1:1)."""

    __tablename__ = "conversation_parameters"

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    parameter_type: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    max_communities: Mapped[Optional[int]]
    max_path_length: Mapped[Optional[int]]
    max_paths_per_entity: Mapped[Optional[int]]
    use_cache: Mapped[Optional[bool]]
    verbose: Mapped[Optional[bool]]
    llm_model: Mapped[Optional[str]] = mapped_column(String(128))
    temperature: Mapped[Optional[float]]
    max_tokens: Mapped[Optional[int]]
    strategy: Mapped[Optional[str]] = mapped_column(String(64))
    tier: Mapped[Optional[str]] = mapped_column(String(32))
    use_llm: Mapped[Optional[bool]]
    fussiness: Mapped[Optional[int]]
    theme: Mapped[Optional[str]] = mapped_column(String(64))

    conversation: Mapped[Conversation] = relationship(back_populates="parameters")


class Message(Base):
    __tablename__ = "messages"
    # The unique (conversation_id, position) index also serves "messages of a conversation in order".
    __table_args__ = (
        UniqueConstraint("conversation_id", "position"),
        CheckConstraint("position >= 0", name="position_not_negative"),
        # Full-text search of message content (admin --search). 'simple': no stemming, the
        # texts mix English with Middle-earth names. Queries must use this exact expression.
        Index(
            "ix_messages_content_fts",
            func.to_tsvector(literal_column("'simple'"), text("content")),
            postgresql_using="gin",
        ),
    )

    id: Mapped[uuid_pk]
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    # Order is explicit: neighbouring messages often share a timestamp.
    position: Mapped[int]
    role: Mapped[str] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[created_ts]
    metadata_: Mapped[json_object] = mapped_column("metadata")
    legacy: Mapped[Optional[dict[str, Any]]]

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    question: Mapped[Optional["Question"]] = relationship(
        back_populates="message", cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )
    answer: Mapped[Optional["Answer"]] = relationship(
        back_populates="message",
        cascade="all, delete-orphan",
        passive_deletes=True,
        uselist=False,
        foreign_keys="Answer.message_id",
    )


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (Index(None, "created_at", "id"),)  # admin listing, keyset on (created_at, id)

    id: Mapped[uuid_pk]
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    question_type: Mapped[Optional[str]] = mapped_column(String(64))
    text: Mapped[Optional[str]] = mapped_column(Text)
    difficulty: Mapped[Optional[int]]
    entity: Mapped[Optional[Any]]  # str or list of names
    tier: Mapped[Optional[str]] = mapped_column(String(32))
    community_id: Mapped[Optional[str]] = mapped_column(String(64))  # ints and strings both occur
    options: Mapped[Optional[Any]]
    correct_answer: Mapped[Optional[Any]]
    created_at: Mapped[created_ts]
    metadata_: Mapped[json_object] = mapped_column("metadata")

    message: Mapped[Message] = relationship(back_populates="question")
    answers: Mapped[list["Answer"]] = relationship(back_populates="question", passive_deletes=True)


class Answer(Base):
    __tablename__ = "answers"
    __table_args__ = (Index(None, "question_id"), Index(None, "created_at", "id"))

    id: Mapped[uuid_pk]
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    # An answer outlives a deleted question message (it is still the student's answer).
    question_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))
    content: Mapped[Optional[str]] = mapped_column(Text)
    correct: Mapped[Optional[bool]]
    quality_score: Mapped[Optional[float]]
    feedback: Mapped[Optional[Any]]  # str, list or object
    created_at: Mapped[created_ts]
    metadata_: Mapped[json_object] = mapped_column("metadata")

    message: Mapped[Message] = relationship(back_populates="answer", foreign_keys=[message_id])
    question: Mapped[Optional[Question]] = relationship(back_populates="answers")
