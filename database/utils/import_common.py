"""What the importer's passes share: a file being imported, its outcome, identity decisions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from database.repositories.legacy_import import Head, LedgerEntry
from database.utils.legacy import LegacyFile



@dataclass(slots=True)
class Item:
    """One file in a batch: its bytes (until parsed), digest, previous ledger entry, parsed record."""

    file: LegacyFile
    sha256: str
    size: int
    data: bytes | None
    prev: LedgerEntry | None = None
    record: Any = None
    error: str | None = None  # set when the file cannot be imported (the reason)
    prepared: Any = None  # work done ahead of the database by the reader thread (kind-specific)

    @property
    def path(self) -> str:
        return self.file.relpath


@dataclass(slots=True)
class Outcome:
    item: Item
    result: str  # one of models.ledger.LEDGER_RESULTS
    reason: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    conversation_id: uuid.UUID | None = None
    fresh: bool = True  # False: the rows in ``counts`` existed before this run (nothing new written)


@dataclass
class Context:
    """State that lives across batches of one run: the user ids seen so far."""

    users: dict[str, uuid.UUID] = field(default_factory=dict)

    def snapshot(self) -> dict[str, uuid.UUID]:
        return dict(self.users)

    def restore(self, saved: dict[str, uuid.UUID]) -> None:
        self.users = saved


Writer = Callable[[Connection, list[Item], Context], list[Outcome]]
Parser = Callable[[Item], Any]


def decide(head: Head | None, path: str, content_sha256: str) -> str:
    """What to do with a record whose identity the database may already hold.

    insert: new identity. same: this file already produced it, with this content. duplicate: an
    identical copy of what another file produced. replace: this file produced it and has changed.
    conflict: another file produced it with different content.
    """
    if head is None:
        return "insert"
    if head.content_sha256 == content_sha256:
        return "same" if head.primary in (path, None) else "duplicate"
    return "replace" if head.primary in (path, None) else "conflict"


def add_counts(target: dict[str, int], **counts: int) -> dict[str, int]:
    for table, number in counts.items():
        if number:
            target[table] = target.get(table, 0) + number
    return target


def credit_new_users(outcomes: list[Outcome], created: set[str], student_of: Callable[[Outcome], str | None]) -> None:
    """Count each user (and its profile row) created in a batch once, on the first file that needed it."""
    for outcome in outcomes:
        student = student_of(outcome)
        if student in created:
            created.discard(student)
            add_counts(outcome.counts, users=1, user_profiles=1)
