"""Move imported legacy files into ``legacy/<same relative path>``, trusting only the import ledger.

A file moves only when its ledger row says imported, duplicate or derived and its current sha256
equals the ledger's. Everything else stays where it is and is listed with the reason: rejected,
never imported (in a legacy root but not in the ledger), changed since import. A file already in
legacy/ is never overwritten (a clash). ``plan_move`` reads and hashes but changes nothing;
``execute_move`` carries a plan out; running both again moves nothing new.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from database.errors import translate
from database.utils.file_moves import MoveClash, MoveError, move_file, prune_empty_dirs, sha256_of
from database.utils.legacy.discovery import discover, resolve_targets

class BadLocation(ValueError):
    """The root or legacy directory cannot be used as given."""


MOVABLE_RESULTS = frozenset({"imported", "duplicate", "derived"})

# Why a file was left in place: code (stable, for --json) -> words for people.
REASONS = {
    "rejected": "rejected by the import",
    "not_imported": "never imported (not in the ledger)",
    "changed": "changed since import (sha256 differs)",
    "not_a_file": "not a regular file (symlink or directory)",
    "unsafe_path": "ledger path outside the root",
    "unreadable": "could not be read",
}


@dataclass(frozen=True)
class PlannedMove:
    path: str  # relative, POSIX, as in the ledger
    sha256: str
    size: int
    mtime_ns: int  # seen when hashed: a file touched after planning is not moved


@dataclass(frozen=True)
class LeftInPlace:
    path: str
    reason: str  # a key of REASONS
    detail: str = ""


@dataclass(frozen=True)
class Clash:
    path: str
    identical: bool  # the file already in legacy/ has the same bytes


@dataclass
class MovePlan:
    root: Path
    legacy_dir: Path
    moves: list[PlannedMove] = field(default_factory=list)
    left: list[LeftInPlace] = field(default_factory=list)
    clashes: list[Clash] = field(default_factory=list)
    already_in_legacy: int = 0
    missing: list[str] = field(default_factory=list)  # in the ledger, neither in place nor in legacy/


@dataclass(frozen=True)
class FailedMove:
    path: str
    error: str


@dataclass
class MoveReport:
    plan: MovePlan
    dry_run: bool
    moved: list[str] = field(default_factory=list)
    left: list[LeftInPlace] = field(default_factory=list)
    clashes: list[Clash] = field(default_factory=list)
    failed: list[FailedMove] = field(default_factory=list)
    removed_dirs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def left_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.left:
            counts[item.reason] = counts.get(item.reason, 0) + 1
        return counts

    def to_dict(self) -> dict[str, object]:
        """The report as plain JSON-able data (``--json``)."""
        return {
            "root": str(self.plan.root),
            "legacy_dir": str(self.plan.legacy_dir),
            "dry_run": self.dry_run,
            "summary": {
                "planned": len(self.plan.moves),
                "moved": len(self.moved),
                "left_in_place": len(self.left),
                "left_in_place_by_reason": self.left_by_reason(),
                "clashes": len(self.clashes),
                "failed": len(self.failed),
                "already_in_legacy": self.plan.already_in_legacy,
                "missing": len(self.plan.missing),
                "removed_dirs": len(self.removed_dirs),
            },
            "planned": [move.path for move in self.plan.moves],
            "moved": list(self.moved),
            "left_in_place": [{"path": i.path, "reason": i.reason, "detail": i.detail} for i in self.left],
            "clashes": [{"path": c.path, "identical": c.identical} for c in self.clashes],
            "failed": [{"path": f.path, "error": f.error} for f in self.failed],
            "missing": list(self.plan.missing),
            "removed_dirs": list(self.removed_dirs),
        }


def _engine_address(engine: Engine) -> str:
    url = engine.url
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _ledger_rows(engine: Engine) -> Iterator[tuple[str, str, int, str, str | None]]:
    """Every ledger row, ordered by path, in one query streamed from a server-side cursor."""
    from database.models.ledger import ImportedFile

    stmt = select(
        ImportedFile.path, ImportedFile.sha256, ImportedFile.size_bytes, ImportedFile.result, ImportedFile.reason
    ).order_by(ImportedFile.path)
    try:
        with engine.connect() as conn:
            for row in conn.execution_options(yield_per=1000).execute(stmt):
                yield row.path, row.sha256, row.size_bytes, row.result, row.reason
    except SQLAlchemyError as exc:
        raise translate(exc, _engine_address(engine)) from exc


def _safe_relative(path: str) -> PurePosixPath | None:
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts or pure == PurePosixPath("."):
        return None
    return pure


def _same_bytes(path: Path, sha256: str) -> bool:
    try:
        return path.is_file() and not path.is_symlink() and sha256_of(path) == sha256
    except OSError:
        return False


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def _plan_row(plan: MovePlan, path: str, sha256: str, size: int, result: str, reason: str | None) -> None:
    relative = _safe_relative(path)
    if relative is None or _inside(plan.root.joinpath(relative), plan.legacy_dir):
        plan.left.append(LeftInPlace(path, "unsafe_path", "the ledger path is absolute, escapes the root "
                                     "or points into the legacy directory"))
        return
    source = plan.root.joinpath(relative)
    target = plan.legacy_dir.joinpath(relative)
    if not os.path.lexists(source):
        try:
            moved_before = target.is_file() and not target.is_symlink() and target.stat().st_size == size
        except OSError:
            moved_before = False
        if moved_before:
            plan.already_in_legacy += 1
        else:
            plan.missing.append(path)
        return
    if source.is_symlink() or not source.is_file():
        plan.left.append(LeftInPlace(path, "not_a_file"))
        return
    if result not in MOVABLE_RESULTS:
        plan.left.append(LeftInPlace(path, "rejected", reason or result))
        return
    try:
        stat = source.stat()
        current = sha256_of(source)
    except OSError as exc:
        plan.left.append(LeftInPlace(path, "unreadable", exc.strerror or str(exc)))
        return
    if current != sha256:
        plan.left.append(LeftInPlace(path, "changed", f"ledger {sha256[:12]}..., now {current[:12]}..."))
        return
    if os.path.lexists(target):
        plan.clashes.append(Clash(path, _same_bytes(target, sha256)))
        return
    plan.moves.append(PlannedMove(path, sha256, stat.st_size, stat.st_mtime_ns))


def _legacy_tree(root: Path, legacy_dir: Path) -> Iterator[str]:
    """Relative paths of the files in the legacy roots (the importer's discovery), minus legacy/."""
    real_root, real_legacy = root.resolve(), legacy_dir.resolve()
    inside = real_legacy.relative_to(real_root).as_posix() + "/" if real_root in real_legacy.parents else None
    for item in discover(real_root, resolve_targets(real_root, [])):
        if inside is None or not item.relpath.startswith(inside):
            yield item.relpath


def plan_move(root: str | os.PathLike[str] | None = None, legacy_dir: str | os.PathLike[str] | None = None,
              *, engine: Engine | None = None) -> MovePlan:
    """What a move would do: read the ledger once, hash the candidates, list the unknown files.

    ``root`` defaults to the working directory, ``legacy_dir`` to ``<root>/legacy``; ``engine``
    to the package's engine. Changes nothing on disk or in the database.
    """
    if engine is None:
        from database.connection import get_engine

        engine = get_engine()
    root_path = Path(os.path.abspath(root if root is not None else os.getcwd()))
    legacy_path = Path(os.path.abspath(legacy_dir if legacy_dir is not None else root_path / "legacy"))
    if not root_path.is_dir():
        raise BadLocation(f"the root {root_path} is not a directory")
    if _inside(root_path, legacy_path):
        raise BadLocation(f"the legacy directory {legacy_path} cannot be the root or contain it")
    plan = MovePlan(root=root_path, legacy_dir=legacy_path)
    known: set[str] = set()
    for path, sha256, size, result, reason in _ledger_rows(engine):
        known.add(path)
        _plan_row(plan, path, sha256, size, result, reason)
    for path in _legacy_tree(root_path, legacy_path):
        if path not in known:
            plan.left.append(LeftInPlace(path, "not_imported"))
    plan.left.sort(key=lambda item: item.path)
    return plan


def _unchanged_since_plan(source: Path, move: PlannedMove) -> bool:
    try:
        stat = source.lstat()
    except OSError:
        return False
    return stat.st_size == move.size and stat.st_mtime_ns == move.mtime_ns


def execute_move(plan: MovePlan) -> MoveReport:
    """Carry out ``plan``: move each file, then remove the directories the moves left empty.

    A failure is recorded and the rest go on; a file changed or a target taken since planning is
    left in place (listed) rather than moved.
    """
    report = MoveReport(plan=plan, dry_run=False, left=list(plan.left), clashes=list(plan.clashes))
    emptied: set[Path] = set()
    for move in plan.moves:
        relative = PurePosixPath(move.path)
        source = plan.root.joinpath(relative)
        target = plan.legacy_dir.joinpath(relative)
        if not _unchanged_since_plan(source, move):
            report.left.append(LeftInPlace(move.path, "changed", "changed after planning"))
            continue
        try:
            move_file(source, target, move.sha256)
        except MoveClash:
            report.clashes.append(Clash(move.path, _same_bytes(target, move.sha256)))
        except (OSError, MoveError) as exc:
            report.failed.append(FailedMove(move.path, str(exc) or type(exc).__name__))
        else:
            report.moved.append(move.path)
            emptied.add(source.parent)
    keep = {plan.legacy_dir, *plan.legacy_dir.parents}
    removed = prune_empty_dirs(emptied, stop_at=plan.root, keep=keep)
    report.removed_dirs = [p.relative_to(plan.root).as_posix() for p in removed]
    report.left.sort(key=lambda item: item.path)
    return report


def move_to_legacy(root: str | os.PathLike[str] | None = None, legacy_dir: str | os.PathLike[str] | None = None,
                   *, dry_run: bool = False, engine: Engine | None = None) -> MoveReport:
    """Plan and (unless ``dry_run``) execute the move; the report lists everything left in place."""
    plan = plan_move(root, legacy_dir, engine=engine)
    if dry_run:
        return MoveReport(plan=plan, dry_run=True, left=list(plan.left), clashes=list(plan.clashes))
    return execute_move(plan)
