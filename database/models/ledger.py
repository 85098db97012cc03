"""The import ledger: one row per legacy file the importer has seen (see notes/LEDGER.md)."""

from __future__ import annotations

import uuid
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from database.models.base import Base, created_ts, json_object, uuid_pk

LEDGER_KINDS = (
    "conversation",
    "conversation_export",
    "student_model",
    "session_v1",
    "session_v2",
    "question_cache",
    "assessment_cache",
    "query_cache",
    "derived_export",
    "stray_text",
    "unknown",
)
LEDGER_RESULTS = ("imported", "duplicate", "derived", "rejected")


class ImportedFile(Base):
    """A legacy file as the importer last recorded it; move-to-legacy trusts only matching sha256."""

    __tablename__ = "import_files"
    __table_args__ = (
        CheckConstraint("result IN ('imported', 'duplicate', 'derived', 'rejected')", name="result"),
    )

    id: Mapped[uuid_pk]
    # Relative to the import root, POSIX separators.
    path: Mapped[str] = mapped_column(Text, unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    result: Mapped[str] = mapped_column(String(16))
    reason: Mapped[Optional[str]] = mapped_column(Text)
    counts: Mapped[json_object]
    conversation_id: Mapped[Optional[uuid.UUID]] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    recorded_at: Mapped[created_ts]
