"""Import every legacy file under a root into the database, idempotently (see docs/IMPORT.md).

Files stream through in passes (users and sessions, conversations, export copies, caches, the
rest) and in batches. Each batch is one transaction that holds its files' rows *and* their
ledger rows, so a killed import leaves no half-imported file and the next run carries on. Inside
a batch, the rows of all files go in together; if the database refuses a batch, it is retried
file by file (each in a SAVEPOINT) so only the guilty file is rejected.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from database.errors import DatabaseError, translate
from database.repositories import legacy_import as repo
from database.utils import import_conversations, import_others, import_sessions
from database.utils.import_common import Context, Item, Outcome, Parser, Writer
from database.utils.legacy import PASSES, LegacyFile, Rejected, discover, resolve_targets

DEFAULT_BATCH_FILES = 200
BATCH_BYTES = 32 * 1024 * 1024
# One import at a time per database (pg_try_advisory_lock key; arbitrary, fixed).
LOCK_KEY = 7_345_112_908_442_017
KEPT = " (its earlier import is kept)"

HANDLERS: dict[str, tuple[Parser, Writer]] = {
    "student_model": (import_others.parse_model, import_others.write_models),
    "session_v1": (import_sessions.parse_item, import_sessions.write),
    "session_v2": (import_sessions.parse_item, import_sessions.write),
    "conversation": (import_conversations.parse_item, import_conversations.write),
    "conversation_export": (import_conversations.parse_item, import_conversations.write),
    "question_cache": (import_others.parse_cache_item, import_others.write_caches),
    "assessment_cache": (import_others.parse_cache_item, import_others.write_caches),
    "query_cache": (import_others.parse_cache_item, import_others.write_caches),
    "derived_export": (import_others.parse_plain, import_others.write_plain),
    "stray_text": (import_others.parse_plain, import_others.write_plain),
    "unknown": (import_others.parse_plain, import_others.write_plain),
}

Progress = Callable[[int, int], None]


class ImportBusy(DatabaseError):
    """Another import is running against the same database."""


@dataclass
class ImportSummary:
    root: str
    dry_run: bool
    files: Counter[str] = field(default_factory=Counter)  # result (or "unchanged") -> files
    kinds: dict[str, Counter[str]] = field(default_factory=dict)  # kind -> result -> files
    rows: Counter[str] = field(default_factory=Counter)  # table -> rows written by this run
    rejected: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total_files(self) -> int:
        return sum(self.files.values())

    @property
    def exit_code(self) -> int:
        return 3 if self.files.get("rejected") else 0

    def record(self, kind: str, result: str) -> None:
        self.files[result] += 1
        self.kinds.setdefault(kind, Counter())[result] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "dry_run": self.dry_run,
            "files": {k: self.files.get(k, 0) for k in ("imported", "duplicate", "derived", "rejected", "unchanged")},
            "files_by_kind": {kind: dict(sorted(c.items())) for kind, c in sorted(self.kinds.items())},
            "rows": dict(sorted(self.rows.items())),
            "rejected": self.rejected,
            "seconds": round(self.seconds, 3),
            "exit_code": self.exit_code,
        }


def _load(file: LegacyFile) -> Item:
    if file.path.is_symlink():
        return Item(file, "", 0, None, error="symbolic link: not followed")
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        return Item(file, "", 0, None, error=f"cannot read: {exc.strerror or exc}")
    return Item(file, hashlib.sha256(data).hexdigest(), len(data), data)


def _batches(files: Iterator[LegacyFile], size: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    volume = 0
    for file in files:
        item = _load(file)
        batch.append(item)
        volume += item.size
        if len(batch) >= size or volume >= BATCH_BYTES:
            yield batch
            batch, volume = [], 0
    if batch:
        yield batch


def _parse(item: Item, parser: Parser) -> None:
    try:
        item.record = parser(item)
    except Rejected as exc:
        item.error = exc.reason
    except RecursionError:
        item.error = "nested too deeply to import"
    finally:
        item.data = None  # the bytes are not needed any more: keep memory flat


_DONE = object()


def _read_ahead(batches: Iterator[list[Item]]) -> Iterator[list[Item]]:
    """Read and parse the next batch in a thread while the database works on the current one.

    The thread only reads files and parses them (pure work, no database); one batch waits
    ready at most, so memory stays bounded. Files found unchanged are then simply not used.
    """
    ready: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(value: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for batch in batches:
                for item in batch:
                    if not item.error:
                        _parse(item, HANDLERS[item.file.kind][0])
                if not hand_over(batch):
                    return
            hand_over(_DONE)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the importing thread
            hand_over(exc)

    reader = threading.Thread(target=read, name="legacy-import-reader", daemon=True)
    reader.start()
    try:
        while (got := ready.get()) is not _DONE:
            if isinstance(got, BaseException):
                raise got
            yield got
    finally:
        stop.set()
        reader.join(timeout=5)


def _write(conn: Connection, writer: Writer, items: list[Item], ctx: Context) -> list[Outcome]:
    """All items in one SAVEPOINT; if the database refuses, one SAVEPOINT per item."""
    saved = ctx.snapshot()
    try:
        with conn.begin_nested():
            return writer(conn, items, ctx)
    except (IntegrityError, DataError) as exc:
        ctx.restore(saved)
        if len(items) == 1:
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            return [Outcome(items[0], "rejected", f"the database refused it: {first}")]
        return [outcome for item in items for outcome in _write(conn, writer, [item], ctx)]


def _settle(outcome: Outcome) -> None:
    """A changed file that is now bad keeps its earlier rows: say so, and keep pointing at them."""
    prev = outcome.item.prev
    if outcome.result == "rejected" and prev is not None and prev.result in ("imported", "duplicate"):
        if not (outcome.reason or "").endswith(KEPT):
            outcome.reason = f"{outcome.reason}{KEPT}"
        outcome.conversation_id = prev.conversation_id


def _ledger_row(outcome: Outcome) -> dict[str, Any] | None:
    item, prev = outcome.item, outcome.item.prev
    row = {"path": item.path, "sha256": item.sha256, "size_bytes": item.size, "kind": item.file.kind,
           "result": outcome.result, "reason": outcome.reason, "counts": outcome.counts,
           "conversation_id": outcome.conversation_id}
    if prev is not None and all(getattr(prev, key) == value for key, value in row.items()):
        return None  # nothing new to record: the ledger stays as it was
    return row


def _process(conn: Connection, batch: list[Item], ctx: Context, summary: ImportSummary) -> None:
    ledger = repo.fetch_ledger(conn, [item.path for item in batch])
    todo: dict[str, list[Item]] = {}
    for item in batch:
        item.prev = ledger.get(item.path)
        if item.prev and item.prev.sha256 == item.sha256 and item.prev.result != "rejected" and not item.error:
            summary.record(item.file.kind, "unchanged")
            item.data = item.record = item.prepared = None
            continue
        if item.record is None and not item.error:  # not parsed ahead by the reader thread
            _parse(item, HANDLERS[item.file.kind][0])
        todo.setdefault(item.file.kind, []).append(item)
    outcomes = [o for kind, items in todo.items() for o in _write(conn, HANDLERS[kind][1], items, ctx)]
    for outcome in outcomes:
        _settle(outcome)
    rows = [(outcome.item.prev is None, row) for outcome in outcomes if (row := _ledger_row(outcome)) is not None]
    repo.upsert_ledger(conn, [row for new, row in rows if new], new=True)
    repo.upsert_ledger(conn, [row for new, row in rows if not new])
    for outcome in outcomes:
        summary.record(outcome.item.file.kind, outcome.result)
        if outcome.fresh:
            summary.rows.update(outcome.counts)
        if outcome.result == "rejected":
            summary.rejected.append({"path": outcome.item.path, "kind": outcome.item.file.kind,
                                     "reason": outcome.reason or ""})


def run_import(
    paths: Sequence[str | Path] = (),
    root: str | Path = ".",
    *,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_FILES,
    progress: Progress | None = None,
    engine: Engine | None = None,
) -> ImportSummary:
    """Import the legacy files under ``paths`` (default: every legacy root under ``root``)."""
    from database.connection import get_engine, get_settings

    root_path = Path(root).resolve()
    targets = resolve_targets(root_path, paths)
    summary = ImportSummary(root=str(root_path), dry_run=dry_run)
    total = sum(1 for _ in discover(root_path, targets)) if progress else 0
    started = time.perf_counter()
    address = get_settings().address if engine is None else "the database"
    try:
        engine = engine or get_engine()
        with engine.connect() as conn:
            _lock(conn)
            try:
                _run(conn, root_path, targets, dry_run, max(1, batch_size), summary, progress, total)
            finally:
                if not conn.invalidated:
                    conn.rollback()
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                    conn.commit()
    except SQLAlchemyError as exc:
        raise translate(exc, address) from exc
    summary.seconds = time.perf_counter() - started
    return summary


def _lock(conn: Connection) -> None:
    if not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar_one():
        raise ImportBusy("another import is running against this database; wait for it to finish")
    conn.commit()


def _run(conn: Connection, root: Path, targets: list[Path], dry_run: bool, batch_size: int,
         summary: ImportSummary, progress: Progress | None, total: int) -> None:
    ctx = Context()
    done = 0
    outer = conn.begin() if dry_run else None
    # One reader for every pass: parsing needs no database, so the next pass's first batch is
    # parsed while the last batch of this one is written (the writes still go pass by pass).
    batches = (batch for kinds in PASSES for batch in _batches(discover(root, targets, kinds), batch_size))
    try:
        for batch in _read_ahead(batches):
            with conn.begin_nested() if dry_run else conn.begin():
                _process(conn, batch, ctx, summary)
            done += len(batch)
            if progress:
                progress(done, total)
    finally:
        if outer is not None:
            outer.rollback()  # a dry run leaves the database as it found it
