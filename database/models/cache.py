"""Cache entries: question, assessment and knowledge-graph query results."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import BigInteger, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from database.models.base import Base, created_ts, uuid_pk


class CacheEntry(Base):
    __tablename__ = "cache_entries"
    __table_args__ = (
        # Serves get/set by (type, key) too.
        UniqueConstraint("cache_type", "key"),
        Index(None, "expires_at", postgresql_where=text("expires_at IS NOT NULL")),
    )

    id: Mapped[uuid_pk]
    cache_type: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(Text)
    value: Mapped[Any]
    created_at: Mapped[created_ts]
    last_accessed: Mapped[created_ts]
    access_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    expires_at: Mapped[Optional[datetime]]
