"""Users, their student-model profile, and their quiz sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database.models.base import Base, created_ts, json_object, uuid_pk

if TYPE_CHECKING:
    from database.models.conversation import Conversation

USER_ROLES = ("user", "admin")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('user', 'admin')", name="role"),
        CheckConstraint("char_length(username) BETWEEN 1 AND 150", name="username_length"),
    )

    id: Mapped[uuid_pk]
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[Optional[str]] = mapped_column(String(320))
    name: Mapped[Optional[str]] = mapped_column(String(255))
    # NULL for imported students: such a user can never log in.
    password_hash: Mapped[Optional[str]] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="user", server_default="user")
    created_at: Mapped[created_ts]
    updated_at: Mapped[created_ts] = mapped_column(onupdate=func.now())
    last_login: Mapped[Optional[datetime]]
    metadata_: Mapped[json_object] = mapped_column("metadata")

    profile: Mapped[Optional["UserProfile"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )
    sessions: Mapped[list["UserSession"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    conversations: Mapped[list["Conversation"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:  # never shows the password hash
        return f"User(id={self.id!s}, username={self.username!r}, role={self.role!r})"


class UserProfile(Base):
    """The adaptive-quiz student model, 1:1 with its user."""

    __tablename__ = "user_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    community_mastery: Mapped[json_object]
    entity_familiarity: Mapped[json_object]
    question_type_performance: Mapped[json_object]
    difficulty_performance: Mapped[json_object]
    overall_mastery: Mapped[Optional[float]]
    mastered_objectives: Mapped[list[Any]] = mapped_column(
        default=lambda: [], server_default=text("'[]'::jsonb")
    )
    current_objective: Mapped[Optional[str]] = mapped_column(Text)
    recent_questions: Mapped[list[Any]] = mapped_column(default=lambda: [], server_default=text("'[]'::jsonb"))
    last_updated: Mapped[created_ts]
    metadata_: Mapped[json_object] = mapped_column("metadata")

    user: Mapped[User] = relationship(back_populates="profile")


class UserSession(Base):
    """A quiz session (the legacy "session record")."""

    __tablename__ = "user_sessions"
    __table_args__ = (
        Index(None, "user_id", "start_time"),
        # Admin listing across users and `cleanup --sessions-older-than` (keyset on start_time, id).
        Index(None, "start_time", "id"),
        CheckConstraint("questions_asked >= 0 AND correct_answers >= 0", name="counts_not_negative"),
    )

    id: Mapped[uuid_pk]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_type: Mapped[str] = mapped_column(String(32), default="quiz", server_default="quiz")
    start_time: Mapped[created_ts]
    end_time: Mapped[Optional[datetime]]
    questions_asked: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    correct_answers: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    accuracy: Mapped[Optional[float]]
    mastery_before: Mapped[Optional[float]]
    mastery_after: Mapped[Optional[float]]
    strategy: Mapped[Optional[str]] = mapped_column(String(64))
    theme: Mapped[Optional[str]] = mapped_column(String(64))
    fussiness: Mapped[Optional[int]]
    tier: Mapped[Optional[str]] = mapped_column(String(32))
    use_llm: Mapped[Optional[bool]]
    parameters: Mapped[json_object]
    metadata_: Mapped[json_object] = mapped_column("metadata")
    # What a legacy session record held that has no column (question_history, summary, ...).
    legacy: Mapped[Optional[dict[str, Any]]]

    user: Mapped[User] = relationship(back_populates="sessions")
